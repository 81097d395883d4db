"""The reference for the benchmark: DuckDB itself loading the two Food.com
files with read_csv into a database and computing every number the report
publishes, as a data engineer would write it in an afternoon.

    python3 scripts/reference.py DATA_DIR DB_FILE [--content DIR] [--partial]
    python3 scripts/reference.py DATA_DIR DB_FILE --check PUBLIC_DIR

The report's queries are the named SQL blocks of CONTENT/*.md (default:
content/). To run them all, the reference builds the tables they read with
DuckDB's own functions: the Python-list columns cast to VARCHAR[] (DuckDB's
list cast reads the quoted items), `nutrition` split into its seven values,
`recipe_tags` and `recipe_ingredients` as the distinct items of each recipe,
`ingest_files` from the row counts and an empty `quarantine` (the reference
checks nothing and sets nothing aside). The queries of a generated page
(`sql NAME by COLUMN`) run once, reading the generating query's rows as a
table named after it, as the build does. A `cluster` block is fitted with
scikit-learn's KMeans (k-means++, the same number of runs) on its data
query, standardized the same way, and its two tables made for the queries
that read them; an `overlap` block is a self-join of its distinct pairs
with a window ranking: what a data engineer would reach for.

--partial is the earlier, smaller reference: the lists kept as text, no
derived tables, and the queries that cannot run on that skipped.

--check compares every result with the downloads a build published
(PUBLIC/data/NAME.csv) and exits 1 on a difference: the reference and the
build must publish the same numbers. What reads a model is compared by
its shape (two k-means implementations may settle on different fixed
points).

Prints one JSON line with the timings.
"""
import argparse
import csv
import glob
import json
import math
import os
import re
import sys
import time

import duckdb

BLOCK = re.compile(r"```(sql|cluster|overlap) (\w+)(?: by (\w+)(?: = \w+)?)?\n(.*?)```", re.S)
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
    """(generating query or None, [(kind, name, by, body)]) per page, ordinary pages first."""
    found = []
    for path in sorted(glob.glob(os.path.join(content, "*.md"))):
        text = open(path, encoding="utf-8").read()
        generate = GENERATE.search(text)
        found.append((generate.group(1) if generate else None, BLOCK.findall(text)))
    return sorted(found, key=lambda page: page[0] is not None)


def fit(con, name, spec, results):
    """A `cluster` block with scikit-learn: its tables NAME and NAME_centroids."""
    import numpy as np
    import tomllib
    from sklearn.cluster import KMeans

    spec = tomllib.loads(spec)
    columns, rows = results[spec["data"]]
    rows = sorted(rows, key=lambda r: r[columns.index(spec["id"])])
    features = [columns.index(f) for f in spec["features"]]
    x = np.array([[r[i] for i in features] for r in rows], dtype=float)
    if spec.get("standardize"):
        sd = x.std(axis=0)
        x = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1)
    k = min(spec["k"], len({tuple(p) for p in x})) if spec.get("allow_fewer") else spec["k"]
    km = KMeans(n_clusters=k, init="k-means++", n_init=spec.get("runs", 10), random_state=spec.get("seed", 0),
                tol=0, max_iter=spec.get("max_iterations", 1000)).fit(x)
    sizes = np.bincount(km.labels_, minlength=k)
    order = sorted(range(k), key=lambda s: (-sizes[s], -km.cluster_centers_[s][0], s))
    rank = {old: new + 1 for new, old in enumerate(order)}
    segment = np.array([rank[s] for s in km.labels_])
    distance = np.sqrt(((x - km.cluster_centers_[km.labels_]) ** 2).sum(axis=1))
    items = {spec["id"]: np.array([r[columns.index(spec["id"])] for r in rows]), "segment": segment,
             "distance": distance}
    for i, c in enumerate(columns):
        if c != spec["id"]:
            items[c] = np.array([r[i] for r in rows])
    con.register(f"{name}_items", items)
    con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM "{name}_items"')
    centroids = {"segment": np.arange(1, k + 1), "n": np.array([sizes[s] for s in order])}
    for d, f in enumerate(spec["features"]):
        centroids[f] = np.array([km.cluster_centers_[s][d] for s in order])
    con.register(f"{name}_c", centroids)
    con.execute(f'CREATE OR REPLACE TABLE "{name}_centroids" AS SELECT * FROM "{name}_c"')
    return {name, f"{name}_centroids"}


def overlap(con, name, spec, results):
    """An `overlap` block in plain SQL: every pair of items that share a
    member, counted by a self-join of the distinct pairs, ranked with a
    window. Its table NAME."""
    import tomllib

    spec = tomllib.loads(spec)
    columns, rows = results[spec["data"]]
    import numpy as np

    con.register(f"{name}_asked", {"item": np.array([r[columns.index(spec["id"])] for r in rows])})
    measures = {"shared": "shared", "jaccard": "jaccard", "cosine": "cosine"}
    order = ", ".join(f"{measures[m]} desc" for m in spec["order"])
    con.execute(f"""
        CREATE OR REPLACE TABLE "{name}" AS
        WITH p AS (
            SELECT DISTINCT * FROM ({spec["pairs"]}) AS t(item, member)
            WHERE item IS NOT NULL AND member IS NOT NULL
        ),
        sizes AS (SELECT item, count(*) AS n FROM p GROUP BY item),
        shared AS (
            SELECT a.item, b.item AS other, count(*) AS shared
            FROM p AS a JOIN p AS b ON b.member = a.member AND b.item <> a.item
            WHERE a.item IN (SELECT item FROM "{name}_asked")
            GROUP BY a.item, b.item
        ),
        scored AS (
            SELECT s.item, s.other, s.shared, s.shared / (x.n + y.n - s.shared) AS jaccard,
                   s.shared / sqrt(x.n * y.n) AS cosine, x.n AS size, y.n AS other_size
            FROM shared AS s JOIN sizes AS x ON x.item = s.item JOIN sizes AS y ON y.item = s.other
            WHERE s.shared >= {int(spec.get("min_shared", 1))}
        )
        SELECT item, row_number() OVER (PARTITION BY item ORDER BY {order}, other) AS rank,
               other, shared, jaccard, cosine, size, other_size
        FROM scored
        QUALIFY rank <= {int(spec.get("top", 5))}
    """)


def run(con, content, partial):
    results, sql_of, ran, skipped = {}, {}, 0, 0
    fitted = set()
    for generated_by, blocks in pages(content):
        if generated_by is not None:
            if partial:
                skipped += len(blocks)
                continue
            con.execute(f'CREATE OR REPLACE TEMP TABLE "{generated_by}" AS {sql_of[generated_by]}')
        for kind, name, by, sql in blocks:
            if kind == "cluster":
                if partial:
                    skipped += 1
                    continue
                fitted |= fit(con, name, sql, results)
                continue
            if kind == "overlap":
                if partial:
                    skipped += 1
                    continue
                overlap(con, name, sql, results)
                continue
            sql_of[name] = sql
            key = f"{generated_by}:{name}" if by else name
            if generated_by is not None and not by:
                continue  # one result per page: not comparable
            try:
                cursor = con.execute(sql)
            except duckdb.Error:
                if not partial:
                    raise
                skipped += 1
                continue
            columns = [d[0] for d in cursor.description]
            results[key] = (columns, cursor.fetchall())
            if any(re.search(rf"\b{re.escape(t)}\b", sql) for t in fitted):
                FITTED.add(key)
            ran += 1
    return results, ran, skipped


def same(value, field):
    """A reference value against a field of a published CSV file."""
    if value is None:
        return field == ""
    if isinstance(value, bool):
        return field == str(value).lower()
    if isinstance(value, (int, float)):
        try:
            return math.isclose(float(value), float(field), rel_tol=1e-9, abs_tol=1e-12)
        except ValueError:
            return False
    return str(value) == field


# the results that read a model: compared by shape only
FITTED = set()


def check(results, public):
    problems = []
    for key, (columns, rows) in sorted(results.items()):
        name = key.split(":")[-1]
        path = os.path.join(public, "data", f"{name}.csv")
        try:
            with open(path, newline="", encoding="utf-8") as f:
                published = list(csv.reader(f))
        except FileNotFoundError:
            problems.append(f"{key}: no {path}")
            continue
        header, body = published[0], published[1:]
        if header != columns:
            problems.append(f"{key}: columns {columns} != {header}")
        elif len(rows) != len(body):
            problems.append(f"{key}: {len(rows)} rows != {len(body)}")
        elif key in FITTED:
            continue  # another k-means may settle elsewhere: the shape is what compares
        else:
            for i, (row, got) in enumerate(zip(rows, body)):
                if not all(same(v, c) for v, c in zip(row, got)):
                    problems.append(f"{key}: row {i}: {row} != {got}")
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
    parser.add_argument("--check", metavar="PUBLIC_DIR")
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
