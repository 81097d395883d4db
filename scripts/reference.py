"""The reference for the benchmark: DuckDB itself loading the two Food.com
files with read_csv into a database and computing every number the report
publishes, as a data engineer would write it in an afternoon.

    python3 scripts/reference.py DATA_DIR DB_FILE [--content DIR] [--partial]
    python3 scripts/reference.py DATA_DIR DB_FILE --check QUERIES_JSON

The report's queries are the named SQL blocks of CONTENT/*.md (default:
content/). To run them all, the reference builds the tables they read with
DuckDB's own functions: the Python-list columns cast to VARCHAR[] (DuckDB's
list cast reads the quoted items), `nutrition` split into its seven values,
`recipe_tags` and `recipe_ingredients` as the distinct items of each recipe,
`ingest_files` from the row counts and an empty `quarantine` (the reference
checks nothing and sets nothing aside). The queries of a generated page
(`sql NAME by COLUMN`) run once, reading the generating query's rows as a
table named after it, as the build does.

--partial is the earlier, smaller reference: the lists kept as text, no
derived tables, and the queries that cannot run on that skipped.

--check compares every result with a build's query cache
(DB.queries.json next to the build's database) and exits 1 on a difference:
the reference and the build must publish the same numbers.

Prints one JSON line with the timings.
"""
import argparse
import glob
import json
import math
import os
import re
import sys
import time

import duckdb

BLOCK = re.compile(r"```sql (\w+)(?: by (\w+))?\n(.*?)```", re.S)
GENERATE = re.compile(r"^\[generate\]\s*\nquery\s*=\s*\"(\w+)\"", re.M)


def load(con, data_dir, partial):
    recipes = os.path.join(data_dir, "RAW_recipes.csv")
    interactions = os.path.join(data_dir, "RAW_interactions.csv")
    if partial:
        con.execute(f"CREATE TABLE recipes AS SELECT * FROM read_csv('{recipes}', header = true)")
        con.execute(f"CREATE TABLE interactions AS SELECT * FROM read_csv('{interactions}', header = true)")
        return
    con.execute(f"""
        CREATE TABLE recipes AS
        SELECT name, id, minutes, contributor_id, submitted,
               tags::VARCHAR[] AS tags,
               n[1] AS calories, n[2] AS total_fat, n[3] AS sugar, n[4] AS sodium,
               n[5] AS protein, n[6] AS saturated_fat, n[7] AS carbohydrates,
               n_steps, steps::VARCHAR[] AS steps, description,
               ingredients::VARCHAR[] AS ingredients, n_ingredients
        FROM (SELECT *, nutrition::DOUBLE[] AS n FROM read_csv('{recipes}', header = true))
    """)
    con.execute(f"CREATE TABLE interactions AS SELECT * FROM read_csv('{interactions}', header = true)")
    con.execute("CREATE TABLE recipe_tags AS SELECT DISTINCT id AS recipe_id, unnest(tags) AS tag FROM recipes")
    con.execute(
        "CREATE TABLE recipe_ingredients AS "
        "SELECT DISTINCT id AS recipe_id, unnest(ingredients) AS ingredient FROM recipes"
    )
    con.execute("""
        CREATE TABLE ingest_files AS
        SELECT 'RAW_interactions.csv' AS file, count(*) AS rows_read, count(*) AS rows_kept,
               0::BIGINT AS rows_quarantined FROM interactions
        UNION ALL
        SELECT 'RAW_recipes.csv', count(*), count(*), 0::BIGINT FROM recipes
    """)
    con.execute(
        "CREATE TABLE quarantine (file VARCHAR, line BIGINT, reason VARCHAR, raw VARCHAR)"
    )


def pages(content):
    """(generating query or None, [(name, by, sql)]) per page, ordinary pages first."""
    found = []
    for path in sorted(glob.glob(os.path.join(content, "*.md"))):
        text = open(path, encoding="utf-8").read()
        generate = GENERATE.search(text)
        found.append((generate.group(1) if generate else None, BLOCK.findall(text)))
    return sorted(found, key=lambda page: page[0] is not None)


def run(con, content, partial):
    results, sql_of, ran, skipped = {}, {}, 0, 0
    for generated_by, blocks in pages(content):
        if generated_by is not None:
            if partial:
                skipped += len(blocks)
                continue
            con.execute(f'CREATE OR REPLACE TEMP TABLE "{generated_by}" AS {sql_of[generated_by]}')
        for name, by, sql in blocks:
            sql_of[name] = sql
            key = f"{generated_by}:{name}" if by else name
            try:
                cursor = con.execute(sql)
            except duckdb.Error:
                if not partial:
                    raise
                skipped += 1
                continue
            columns = [d[0] for d in cursor.description]
            results[key] = (columns, cursor.fetchall())
            ran += 1
    return results, ran, skipped


def same(value, cell):
    """A reference value against a cached cell ({"i": 1}, {"f": 1.5}, {"t": "x"}, {"d": "2001-01-01"}, ...)."""
    if value is None or not cell:
        return value is None and (not cell or None in cell.values())
    (kind, cached), = cell.items()
    if isinstance(value, float) or kind == "f":
        return cached is not None and math.isclose(float(value), float(cached), rel_tol=1e-9, abs_tol=1e-12)
    return str(value) == str(cached)


def check(results, queries_json):
    entries = json.load(open(queries_json, encoding="utf-8"))["entries"]
    problems = []
    for key, (columns, rows) in sorted(results.items()):
        entry = entries.get(key)
        if entry is None:
            problems.append(f"{key}: not in {queries_json}")
            continue
        table = entry["table"]
        if [c[0] for c in table["columns"]] != columns:
            problems.append(f"{key}: columns {columns} != {[c[0] for c in table['columns']]}")
        elif len(rows) != len(table["rows"]):
            problems.append(f"{key}: {len(rows)} rows != {len(table['rows'])}")
        else:
            for i, (row, cached) in enumerate(zip(rows, table["rows"])):
                if not all(same(v, c) for v, c in zip(row, cached)):
                    problems.append(f"{key}: row {i}: {row} != {cached}")
                    break
    for problem in problems:
        print(problem, file=sys.stderr)
    return len(results) - len(problems), problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir")
    parser.add_argument("db_file")
    parser.add_argument("--content", default="content")
    parser.add_argument("--partial", action="store_true")
    parser.add_argument("--check", metavar="QUERIES_JSON")
    args = parser.parse_args()
    started = time.perf_counter()
    if os.path.exists(args.db_file):
        os.remove(args.db_file)
    con = duckdb.connect(args.db_file)
    con.execute("SET threads = 2")
    con.execute("SET memory_limit = '512MB'")
    load(con, args.data_dir, args.partial)
    loaded = time.perf_counter()
    results, ran, skipped = run(con, args.content, args.partial)
    con.close()
    done = time.perf_counter()
    report = {"load_s": loaded - started, "queries_s": done - loaded, "total_s": done - started,
              "queries_ran": ran, "queries_skipped": skipped}
    if args.check:
        agreed, problems = check(results, args.check)
        report["results_agreeing"] = agreed
        report["results_differing"] = len(problems)
    print(json.dumps(report))
    if args.check and problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
