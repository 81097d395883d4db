"""An independent computation of the report's analyses (REPORT.md), from
the raw CSV files with Python's standard library only, compared with the
CSV downloads a build wrote.

    python3 scripts/check_report.py DATA_DIR PUBLIC_DIR

DATA_DIR holds well-formed RAW_recipes.csv and RAW_interactions.csv.
Exits 0 when every download matches (floats to 1e-9 relative), else prints
the differences and exits 1. The segments (analysis 17) are checked by their
definition: every user is in the segment of the nearest published centroid,
each centroid is the mean of its users, and the grouping is not looser than
the best of ten k-means++ runs computed here.
"""
import ast
import csv
import math
import statistics
import sys
from collections import Counter, defaultdict

csv.field_size_limit(1 << 30)
data_dir, public = sys.argv[1], sys.argv[2]


def read(name):
    with open(f"{data_dir}/{name}", newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


recipes = read("RAW_recipes.csv")
inter = read("RAW_interactions.csv")
for r in recipes:
    r["id"] = int(r["id"])
    r["minutes"] = int(r["minutes"])
    r["n_steps"] = int(r["n_steps"])
    r["n_ingredients"] = int(r["n_ingredients"])
    r["tags"] = ast.literal_eval(r["tags"])
    r["ingredients"] = ast.literal_eval(r["ingredients"])
    r["nutrition"] = ast.literal_eval(r["nutrition"])
for i in inter:
    i["user_id"] = int(i["user_id"])
    i["recipe_id"] = int(i["recipe_id"])
    i["rating"] = int(i["rating"])
by_id = {r["id"]: r for r in recipes}
rated = [i for i in inter if 1 <= i["rating"] <= 5]


def mean(xs):
    xs = list(xs)
    return sum(xs) / len(xs) if xs else None


expected = {}
expected["kpis"] = [[len(recipes), len(inter), len({i["user_id"] for i in inter}),
                     min(i["date"] for i in inter), max(i["date"] for i in inter),
                     mean(i["rating"] for i in rated),
                     sum(1 for i in inter if i["rating"] == 5) / len(inter)]]
ratings = Counter(i["rating"] for i in inter)
expected["rating_distribution"] = [[r, ratings.get(r, 0)] for r in range(6)]
per_user = Counter(i["user_id"] for i in inter)
groups = Counter(n.bit_length() - 1 for n in per_user.values())
expected["user_activity"] = [[2 ** k, 2 ** (k + 1) - 1, groups[k]] for k in sorted(groups)]
expected["user_activity_summary"] = [[sum(1 for n in per_user.values() if n == 1) / len(per_user),
                                      len(per_user), max(per_user.values())]]
months = Counter(i["date"][:7] + "-01" for i in inter)
expected["interactions_per_month"] = [[m, months[m]] for m in sorted(months)]
years = sorted({int(i["date"][:4]) for i in inter})
expected["rating_per_year"] = [[y, mean(i["rating"] for i in rated if int(i["date"][:4]) == y),
                                sum(1 for i in rated if int(i["date"][:4]) == y)] for y in years]
ry = Counter(int(r["submitted"][:4]) for r in recipes)
expected["recipes_per_year"] = [[y, ry[y]] for y in sorted(ry)]
edges = [("0-15", None, 15), ("15-30", 15, 30), ("30-60", 30, 60), ("60-120", 60, 120), ("120-240", 120, 240), ("240+", 240, None)]
expected["minutes_buckets"] = [[label, sum(1 for r in recipes if (lo is None or r["minutes"] > lo) and (hi is None or r["minutes"] <= hi))]
                               for label, lo, hi in edges]
steps = Counter(min(r["n_steps"], 40) for r in recipes)
expected["n_steps_hist"] = [[k, steps[k]] for k in sorted(steps)]
ings = Counter(min(r["n_ingredients"], 30) for r in recipes)
expected["n_ingredients_hist"] = [[k, ings[k]] for k in sorted(ings)]
for name, col in (("top_tags", "tags"), ("top_ingredients", "ingredients")):
    c = Counter(item for r in recipes for item in set(r[col]))
    expected[name] = [[k, n] for k, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:20]]
known = [i for i in inter if i["recipe_id"] in by_id]
reviews = Counter(i["recipe_id"] for i in known)
top = sorted(reviews.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
expected["top_recipes"] = [[rid, by_id[rid]["name"], n, mean(i["rating"] for i in known if i["recipe_id"] == rid and i["rating"] >= 1)]
                           for rid, n in top]
bucket = {r["id"]: min(r["n_steps"] // 3, 10) for r in recipes}
expected["rating_by_steps"] = [[b, mean(i["rating"] for i in known if i["rating"] >= 1 and bucket[i["recipe_id"]] == b),
                                sum(1 for i in known if i["rating"] >= 1 and bucket[i["recipe_id"]] == b),
                                sum(1 for r in recipes if bucket[r["id"]] == b)] for b in range(11)]
cal = Counter(min(int(math.floor(r["nutrition"][0] / 100)), 10) for r in recipes if r["nutrition"][0] >= 0)
expected["calories_buckets"] = [["1000+" if k == 10 else f"{k * 100}-{(k + 1) * 100}", cal.get(k, 0)] for k in range(11)]
names = ["fat", "sugar", "sodium", "protein", "saturated fat", "carbohydrates"]
expected["nutrition_medians"] = [[n, statistics.median(r["nutrition"][k + 1] for r in recipes)] for k, n in enumerate(names)]
mix = []
for y in sorted({int(i["date"][:4]) for i in rated}):
    ys = [i for i in rated if int(i["date"][:4]) == y]
    for rating in range(1, 6):
        mix.append([y, rating, sum(1 for i in ys if i["rating"] == rating) / len(ys)])
expected["rating_mix_by_year"] = mix
expected["data_quality"] = [["RAW_interactions.csv", len(inter), len(inter), 0], ["RAW_recipes.csv", len(recipes), len(recipes), 0]]

def inverted(sets):
    """{member: the keys whose set holds it}"""
    out = defaultdict(set)
    for key, members in sets.items():
        for m in members:
            out[m].add(key)
    return out


# 15: Jaccard similarity of the sets of distinct ingredients
ing_sets = {r["id"]: set(r["ingredients"]) for r in recipes}
by_ingredient = inverted(ing_sets)
similar = []
for rid, _ in top:
    a = ing_sets[rid]
    others = set().union(*(by_ingredient[item] for item in a)) - {rid} if a else set()
    scored = []
    for o in others:
        shared = len(a & ing_sets[o])
        scored.append((shared / len(a | ing_sets[o]), shared, o))
    scored.sort(key=lambda t: (-t[0], -t[1], t[2]))
    similar += [[rid, k + 1, o, by_id[o]["name"], j, shared] for k, (j, shared, o) in enumerate(scored[:5])]
expected["similar_recipes"] = similar

# 16: co-likers among the users who rated both 4 or 5
likers = defaultdict(set)
for i in inter:
    if i["rating"] in (4, 5):
        likers[i["recipe_id"]].add(i["user_id"])
liked_by = inverted(likers)
also = []
for rid, _ in top:
    co = Counter(o for u in likers[rid] for o in liked_by[u] if o != rid and o in by_id)
    scored = [(n, n / math.sqrt(len(likers[rid]) * len(likers[o])), o) for o, n in co.items() if n >= 2]
    scored.sort(key=lambda t: (-t[0], -t[1], t[2]))
    also += [[rid, k + 1, o, by_id[o]["name"], n, c] for k, (n, c, o) in enumerate(scored[:5])]
expected["also_liked"] = also

COLUMNS = {
    "kpis": 7, "rating_distribution": 2, "user_activity": 3, "user_activity_summary": 3,
    "interactions_per_month": 2, "rating_per_year": 3, "recipes_per_year": 2, "minutes_buckets": 2,
    "n_steps_hist": 2, "n_ingredients_hist": 2, "top_tags": 2, "top_ingredients": 2, "top_recipes": 4,
    "rating_by_steps": 4, "calories_buckets": 2, "nutrition_medians": 2, "rating_mix_by_year": 3, "data_quality": 4,
    "similar_recipes": 6, "also_liked": 6,
}


def same(want, got):
    if want is None:
        return got == ""
    if isinstance(want, (int, float)) and not isinstance(want, bool):
        try:
            g = float(got)
        except ValueError:
            return False
        return math.isclose(float(want), g, rel_tol=1e-9, abs_tol=1e-12)
    return str(want) == got


problems = []
for name, rows in expected.items():
    try:
        with open(f"{public}/data/{name}.csv", newline="", encoding="utf-8") as f:
            got = list(csv.reader(f))[1:]
    except FileNotFoundError:
        problems.append(f"{name}.csv: missing")
        continue
    n = COLUMNS[name]
    if len(got) != len(rows):
        problems.append(f"{name}.csv: {len(got)} rows, expected {len(rows)}")
        continue
    for k, (w, g) in enumerate(zip(rows, got)):
        if len(g) < n or not all(same(a, b) for a, b in zip(w, g[:n])):
            problems.append(f"{name}.csv row {k + 1}: got {g[:n]}, expected {w}")
            break


# 17: the segments are checked as a fixed point of k-means on features
# computed here, and against the best of several k-means++ runs of our own
def segments_problems():
    import datetime
    import random
    out = []
    users = defaultdict(list)
    for i in inter:
        users[i["user_id"]].append(i)
    feats, raw = [], []
    for u in sorted(users):
        xs = users[u]
        stars = [i["rating"] for i in xs if i["rating"] >= 1]
        if len(xs) < 5 or not stars:
            continue
        days = [datetime.date.fromisoformat(i["date"]) for i in xs]
        span = (max(days) - min(days)).days
        share = sum(1 for i in xs if i["rating"] == 0) / len(xs)
        feats.append([math.log(len(xs)), mean(stars), share, math.log(1 + span)])
        raw.append([len(xs), mean(stars), share, span])
    try:
        with open(f"{public}/data/user_segments.csv", newline="", encoding="utf-8") as f:
            got = [[float(v) for v in row[:10]] for row in list(csv.reader(f))[1:]]
    except FileNotFoundError:
        return ["user_segments.csv: missing"]
    if not feats:
        return [f"user_segments.csv: {len(got)} segments, expected none (no user qualifies)"] if got else []
    # exact (rational) mean and deviation: a feature equal for every user has
    # a deviation of exactly 0, so its z-scores are 0
    means = [statistics.mean(f[d] for f in feats) for d in range(4)]
    sds = [statistics.pstdev([f[d] for f in feats]) for d in range(4)]
    z = [[(f[d] - means[d]) / sds[d] if sds[d] > 0 else 0.0 for d in range(4)] for f in feats]
    if [int(g[0]) for g in got] != list(range(1, len(got) + 1)):
        return [f"user_segments.csv: segments {[g[0] for g in got]}, expected 1..{len(got)}"]
    centroids = [g[6:10] for g in got]
    distinct = len({tuple(p) for p in z})
    if len(got) != min(4, distinct):
        out.append(f"user_segments.csv: {len(got)} segments, expected {min(4, distinct)}")

    def dist2(p, c):
        return sum((a - b) ** 2 for a, b in zip(p, c))

    assign = [min(range(len(centroids)), key=lambda k: dist2(p, centroids[k])) for p in z]
    inertia = sum(dist2(p, centroids[k]) for p, k in zip(z, assign))
    for k, g in enumerate(got):
        members = [n for n, a in enumerate(assign) if a == k]
        if not members:
            out.append(f"user_segments.csv segment {k + 1}: no user is nearest to its centroid")
            continue
        want = [len(members)] + [mean(raw[n][d] for n in members) for d in range(4)] \
            + [mean(z[n][d] for n in members) for d in range(4)]
        for name, w, v in zip(["n_users", "mean_reviews", "mean_rating", "share_unrated", "mean_span_days",
                               "z_log_reviews", "z_mean_rating", "z_share_unrated", "z_log_span"], want, g[1:]):
            if not math.isclose(w, v, rel_tol=1e-9, abs_tol=1e-9):
                out.append(f"user_segments.csv segment {k + 1}: {name} = {v}, expected {w} from its nearest users")
    sizes = [g[1] for g in got]
    if any(a < b or (a == b and c1[0] < c2[0]) for a, b, c1, c2 in zip(sizes, sizes[1:], centroids, centroids[1:])):
        out.append(f"user_segments.csv: segments not numbered by size: {sizes}")
    # the best of 10 k-means++ runs (Lloyd until no point moves)
    rng = random.Random(7)
    best = math.inf
    k = len(centroids)
    for _ in range(10):
        cs = [z[rng.randrange(len(z))]]
        while len(cs) < k:
            d = [min(dist2(p, c) for c in cs) for p in z]
            cs.append(z[rng.choices(range(len(z)), weights=d)[0]] if sum(d) > 0 else z[rng.randrange(len(z))])
        labels = None
        for _ in range(1000):
            new = [min(range(k), key=lambda j: dist2(p, cs[j])) for p in z]
            if new == labels:
                break
            labels = new
            for j in range(k):
                members = [p for p, a in zip(z, labels) if a == j]
                if members:
                    cs[j] = [mean(p[d] for p in members) for d in range(4)]
        best = min(best, sum(dist2(p, cs[a]) for p, a in zip(z, labels)))
    if inertia > best * 1.01 + 1e-9:
        out.append(f"user_segments.csv: within-segment sum of squares {inertia}, best of 10 runs here {best}")
    return out


problems += segments_problems()
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"all {len(expected) + 1} downloads match")
