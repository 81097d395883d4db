"""The reference for the benchmark: DuckDB itself loading the two Food.com
files with read_csv into a database and running the report's queries, as a
data engineer would write it in an afternoon.

    python3 scripts/reference.py DATA_DIR DB_FILE [CONTENT_DIR]

Queries are the named SQL blocks of CONTENT_DIR/*.md (default: content/);
those that need the build's own tables (quarantine, ingest files) or typed
list columns are skipped and counted. Prints one JSON line with the timings.
"""
import glob
import json
import os
import re
import sys
import time

import duckdb

data_dir, db_file = sys.argv[1], sys.argv[2]
content = sys.argv[3] if len(sys.argv) > 3 else "content"
started = time.perf_counter()
if os.path.exists(db_file):
    os.remove(db_file)
con = duckdb.connect(db_file)
con.execute("SET threads = 2")
con.execute("SET memory_limit = '512MB'")
con.execute(
    f"CREATE TABLE recipes AS SELECT * FROM read_csv('{data_dir}/RAW_recipes.csv', header = true)"
)
con.execute(
    f"CREATE TABLE interactions AS SELECT * FROM read_csv('{data_dir}/RAW_interactions.csv', header = true)"
)
loaded = time.perf_counter()
ran = skipped = 0
for page in sorted(glob.glob(os.path.join(content, "*.md"))):
    text = open(page, encoding="utf-8").read()
    for name, sql in re.findall(r"```sql (\w+)\n(.*?)```", text, re.S):
        try:
            con.execute(sql).fetchall()
            ran += 1
        except duckdb.Error:
            skipped += 1
con.close()
done = time.perf_counter()
print(json.dumps({"load_s": loaded - started, "queries_s": done - loaded, "total_s": done - started,
                  "queries_ran": ran, "queries_skipped": skipped}))
