#!/usr/bin/env python3
"""Side-by-side: 攀人社发〔2022〕143号 clause 5 (1000元/人; 每10人1万元, 最高20万元)
over one generated population, through policyc, GoRules ZEN and OpenFisca.

usage (from the repository root, after `cargo build --release`):
    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install zen-engine openfisca-core
    /tmp/peers/bin/python benches/peers/compare.py [N]

Every engine computes both amounts for every enterprise; the script checks
that all three agree on every amount and prints the timings and ratios.
policyc reads each enterprise's member list and counts the qualified
members itself; the peers are given the qualified count (they have no list
semantics in this setup), which favours the peers.
"""
import json, os, random, subprocess, sys, tempfile, time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
rng = random.Random(143)
QUALIFIED = {"脱贫人口": True, "劳动合同月数": 12, "参加社会保险": True}
UNQUALIFIED = {"脱贫人口": True, "劳动合同月数": 6, "参加社会保险": True}

counts = [rng.choice([0, 1, 5, 9, 10, 11, 19, 20, 99, 100, 199, 200, 219, 250]) for _ in range(N)]
noise = [rng.randint(0, 3) for _ in range(N)]

def expected(n):
    subsidy = 1000 * n
    bonus = min(10000 * (n // 10), 200000) if n >= 10 else 0
    return subsidy, bonus

# ------------------------------------------------------------------ policyc
def run_policyc(jobs):
    with tempfile.TemporaryDirectory() as d:
        inp, out = os.path.join(d, "in.jsonl"), os.path.join(d, "out.jsonl")
        with open(inp, "w") as f:
            for i, (n, extra) in enumerate(zip(counts, noise)):
                members = [QUALIFIED] * n + [UNQUALIFIED] * extra
                case = {"编号": str(i), "日期": "2023-05-10", "文件": ["攀人社发〔2022〕143号"],
                        "主体": {"类型": "单位", "单位性质": "企业", "吸纳人员": members}}
                f.write(json.dumps(case, ensure_ascii=False) + "\n")
        t = time.perf_counter()
        subprocess.run(["target/release/policyc", "batch", inp, "--output", out, "--jobs", str(jobs),
                        "--summary-format", "json"], check=True, stdout=subprocess.DEVNULL)
        elapsed = time.perf_counter() - t
        results = []
        with open(out) as f:
            for line in f:
                r = json.loads(line)
                amounts = {x["项目"]: int(x.get("金额", "0")) for x in r["裁定"] if x["条款"] == "5"}
                results.append((amounts.get("一次性吸纳就业补贴", 0), amounts.get("一次性奖补", 0)))
    return elapsed, results

# ------------------------------------------------------------------ ZEN
def run_zen():
    import zen
    decision_content = {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "input", "position": {"x": 0, "y": 0}},
            {"id": "ex", "type": "expressionNode", "name": "clause5", "position": {"x": 1, "y": 0},
             "content": {"expressions": [
                 {"id": "a", "key": "subsidy", "value": "n * 1000"},
                 {"id": "b", "key": "bonus", "value": "n >= 10 ? min([floor(n / 10) * 10000, 200000]) : 0"},
             ]}},
            {"id": "out", "type": "outputNode", "name": "output", "position": {"x": 2, "y": 0}},
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "ex", "type": "edge"},
            {"id": "e2", "sourceId": "ex", "targetId": "out", "type": "edge"},
        ],
    }
    engine = zen.ZenEngine()
    decision = engine.create_decision(json.dumps(decision_content))
    t = time.perf_counter()
    results = []
    for n in counts:
        r = decision.evaluate({"n": n})["result"]
        results.append((int(r["subsidy"]), int(r["bonus"])))
    return time.perf_counter() - t, results

# ------------------------------------------------------------------ OpenFisca
def run_openfisca():
    import numpy as np
    from openfisca_core import periods
    from openfisca_core.entities import build_entity
    from openfisca_core.simulation_builder import SimulationBuilder
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable

    Enterprise = build_entity(key="enterprise", plural="enterprises", label="企业", is_person=True)

    class qualified(Variable):
        value_type = int
        entity = Enterprise
        definition_period = periods.DateUnit.YEAR
        label = "合格人数"

    class subsidy(Variable):
        value_type = int
        entity = Enterprise
        definition_period = periods.DateUnit.YEAR

        def formula(e, period):
            return e("qualified", period) * 1000

    class bonus(Variable):
        value_type = int
        entity = Enterprise
        definition_period = periods.DateUnit.YEAR

        def formula(e, period):
            n = e("qualified", period)
            return np.where(n >= 10, np.minimum((n // 10) * 10000, 200000), 0)

    system = TaxBenefitSystem([Enterprise])
    system.add_variables(qualified, subsidy, bonus)
    t = time.perf_counter()
    sim = SimulationBuilder().build_default_simulation(system, count=N)
    sim.set_input("qualified", "2023", np.array(counts, dtype=np.int32))
    s = sim.calculate("subsidy", "2023")
    b = sim.calculate("bonus", "2023")
    elapsed = time.perf_counter() - t
    return elapsed, list(zip((int(x) for x in s), (int(x) for x in b)))

def main():
    want = [expected(n) for n in counts]
    rows = []
    for name, fn in [("policyc batch --jobs 1", lambda: run_policyc(1)), ("policyc batch --jobs 2", lambda: run_policyc(2)),
                     ("GoRules ZEN (zen-engine, Python)", run_zen), ("OpenFisca (openfisca-core, vectorized)", run_openfisca)]:
        elapsed, got = fn()
        agree = sum(1 for g, w in zip(got, want) if g == w)
        rows.append((name, elapsed, agree))
    print(f"N = {N} enterprises, clause 5 of 攀人社发〔2022〕143号")
    print(f"{'engine':42} {'seconds':>9} {'cases/s':>12} {'agree':>12}")
    for name, elapsed, agree in rows:
        print(f"{name:42} {elapsed:9.3f} {N / elapsed:12.0f} {agree:>6}/{N}")
    base = rows[0][1]
    print("ratios to policyc --jobs 1 (time):", ", ".join(f"{name}: {elapsed / base:.2f}×" for name, elapsed, _ in rows[1:]))
    if any(agree != N for _, _, agree in rows):
        sys.exit("engines disagree")

if __name__ == "__main__":
    main()
