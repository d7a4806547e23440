#!/usr/bin/env python3
"""Side-by-side: 攀人社发〔2022〕143号 clause 5 (1000元/人; 每10人1万元, 最高20万元)
over one generated population, through policyc, GoRules ZEN and OpenFisca.

usage (from the repository root, after `cargo build --release`):
    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install zen-engine openfisca-core
    /tmp/peers/bin/python benches/peers/compare.py [N]

Every engine computes both amounts for every enterprise; the script checks
that all of them agree on every amount and prints the timings and ratios.

Each enterprise comes with its list of hired people (吸纳人员), each with
脱贫人口, 劳动合同月数 and 参加社会保险; the qualified count is part of the
clause. The peers run twice:
- given the member lists, as policyc is: ZEN counts them with its `count`
  expression, OpenFisca as a group entity summing over its members (the
  time includes turning the lists into OpenFisca's per-person arrays);
- given the qualified count, worked out beforehand: only the amounts'
  arithmetic, which favours the peers.
policyc always reads the JSON lines from a file, evaluates the whole
document (26 rules) and writes every ruling with its reasons; its time is
the whole process.
"""
import json, os, random, subprocess, sys, tempfile, time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
rng = random.Random(143)
QUALIFIED = {"脱贫人口": True, "劳动合同月数": 12, "参加社会保险": True}
UNQUALIFIED = {"脱贫人口": True, "劳动合同月数": 6, "参加社会保险": True}

counts = [rng.choice([0, 1, 5, 9, 10, 11, 19, 20, 99, 100, 199, 200, 219, 250]) for _ in range(N)]
# At least one member each: OpenFisca's group sums leave out a group with
# no members.
noise = [rng.randint(1, 3) for _ in range(N)]
members = [[QUALIFIED] * n + [UNQUALIFIED] * extra for n, extra in zip(counts, noise)]

def expected(n):
    subsidy = 1000 * n
    bonus = min(10000 * (n // 10), 200000) if n >= 10 else 0
    return subsidy, bonus

# ------------------------------------------------------------------ policyc
def run_policyc(jobs):
    with tempfile.TemporaryDirectory() as d:
        inp, out = os.path.join(d, "in.jsonl"), os.path.join(d, "out.jsonl")
        with open(inp, "w") as f:
            for i, hired in enumerate(members):
                case = {"编号": str(i), "日期": "2023-05-10", "文件": ["攀人社发〔2022〕143号"],
                        "主体": {"类型": "单位", "单位性质": "企业", "吸纳人员": hired}}
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
ZEN_AMOUNTS = [("subsidy", "n * 1000"), ("bonus", "n >= 10 ? min([floor(n / 10) * 10000, 200000]) : 0")]
# ZEN's expressions take ASCII names only, so the list is passed as
# `members`; the members keep their Chinese keys, read with `#["…"]`.
ZEN_COUNT = [("n", 'count(members, #["脱贫人口"] and #["劳动合同月数"] >= 12 and #["参加社会保险"])')]


def zen_decision(stages):
    """A ZEN graph: input → one expression node per stage → output."""
    nodes = [{"id": "in", "type": "inputNode", "name": "input", "position": {"x": 0, "y": 0}}]
    for i, exprs in enumerate(stages):
        nodes.append({"id": f"s{i}", "type": "expressionNode", "name": f"stage{i}", "position": {"x": i + 1, "y": 0},
                      "content": {"expressions": [{"id": k, "key": k, "value": v} for k, v in exprs]}})
    nodes.append({"id": "out", "type": "outputNode", "name": "output", "position": {"x": len(stages) + 1, "y": 0}})
    ids = [n["id"] for n in nodes]
    edges = [{"id": f"e{i}", "sourceId": a, "targetId": b, "type": "edge"} for i, (a, b) in enumerate(zip(ids, ids[1:]))]
    import zen
    return zen.ZenEngine().create_decision(json.dumps({"nodes": nodes, "edges": edges}))


def run_zen(inputs, stages):
    decision = zen_decision(stages)
    t = time.perf_counter()
    results = []
    for x in inputs:
        r = decision.evaluate(x)["result"]
        results.append((int(r["subsidy"]), int(r["bonus"])))
    return time.perf_counter() - t, results

# ------------------------------------------------------------------ OpenFisca
def openfisca_system():
    import numpy as np
    from openfisca_core import periods
    from openfisca_core.entities import build_entity
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable

    year = periods.DateUnit.YEAR
    Person = build_entity(key="person", plural="persons", label="人", is_person=True)
    Enterprise = build_entity(key="enterprise", plural="enterprises", label="企业",
                              roles=[{"key": "member", "plural": "members", "label": "吸纳人员"}])

    def person_input(name, value_type, label):
        attrs = {"value_type": value_type, "entity": Person, "definition_period": year, "label": label}
        return type(name, (Variable,), attrs)

    poor = person_input("poor", bool, "脱贫人口")
    contract_months = person_input("contract_months", int, "劳动合同月数")
    insured = person_input("insured", bool, "参加社会保险")

    class qualified(Variable):
        value_type = int
        entity = Enterprise
        definition_period = year
        label = "合格人数"

        def formula(e, period):
            m = e.members
            return e.sum(m("poor", period) * (m("contract_months", period) >= 12) * m("insured", period))

    class subsidy(Variable):
        value_type = int
        entity = Enterprise
        definition_period = year

        def formula(e, period):
            return e("qualified", period) * 1000

    class bonus(Variable):
        value_type = int
        entity = Enterprise
        definition_period = year

        def formula(e, period):
            n = e("qualified", period)
            return np.where(n >= 10, np.minimum((n // 10) * 10000, 200000), 0)

    system = TaxBenefitSystem([Person, Enterprise])
    system.add_variables(poor, contract_months, insured, qualified, subsidy, bonus)
    return system


def openfisca_amounts(system, owners, inputs):
    """Builds a simulation of N enterprises whose persons belong to
    `owners` (one enterprise index per person), sets `inputs` (variable →
    array) and computes both amounts."""
    import numpy as np
    from openfisca_core.simulation_builder import SimulationBuilder

    builder = SimulationBuilder()
    builder.create_entities(system)
    builder.declare_person_entity("person", np.arange(len(owners)))
    enterprises = builder.declare_entity("enterprise", np.arange(N))
    builder.join_with_persons(enterprises, np.asarray(owners), np.full(len(owners), "member"))
    sim = builder.build(system)
    for name, values in inputs.items():
        sim.set_input(name, "2023", values)
    s = sim.calculate("subsidy", "2023")
    b = sim.calculate("bonus", "2023")
    return list(zip((int(x) for x in s), (int(x) for x in b)))


def run_openfisca_members():
    """Enterprises as a group entity of persons; the lists are turned into
    per-person arrays inside the timing."""
    import numpy as np

    system = openfisca_system()
    t = time.perf_counter()
    owners, poor, months, insured = [], [], [], []
    for i, hired in enumerate(members):
        for m in hired:
            owners.append(i)
            poor.append(m["脱贫人口"])
            months.append(m["劳动合同月数"])
            insured.append(m["参加社会保险"])
    inputs = {"poor": np.array(poor), "contract_months": np.array(months), "insured": np.array(insured)}
    results = openfisca_amounts(system, owners, inputs)
    return time.perf_counter() - t, results


def run_openfisca_counts():
    """The qualified count of each enterprise given; one person each."""
    import numpy as np

    system = openfisca_system()
    t = time.perf_counter()
    results = openfisca_amounts(system, np.arange(N), {"qualified": np.array(counts, dtype=np.int32)})
    return time.perf_counter() - t, results


def main():
    want = [expected(n) for n in counts]
    qualified = [sum(1 for m in hired if m is QUALIFIED) for hired in members]
    assert qualified == counts
    engines = [
        ("policyc batch --jobs 1", lambda: run_policyc(1)),
        ("policyc batch --jobs 2", lambda: run_policyc(2)),
        ("GoRules ZEN, member lists", lambda: run_zen([{"members": m} for m in members], [ZEN_COUNT, ZEN_AMOUNTS])),
        ("OpenFisca, member lists", run_openfisca_members),
        ("GoRules ZEN, counts given", lambda: run_zen([{"n": n} for n in counts], [ZEN_AMOUNTS])),
        ("OpenFisca, counts given", run_openfisca_counts),
    ]
    rows = []
    for name, fn in engines:
        elapsed, got = fn()
        agree = sum(1 for g, w in zip(got, want) if g == w)
        rows.append((name, elapsed, agree))
    persons = sum(len(m) for m in members)
    print(f"N = {N} enterprises ({persons} hired people), clause 5 of 攀人社发〔2022〕143号")
    print(f"{'engine':30} {'seconds':>9} {'cases/s':>12} {'agree':>12}")
    for name, elapsed, agree in rows:
        print(f"{name:30} {elapsed:9.3f} {N / elapsed:12.0f} {agree:>6}/{N}")
    base = rows[0][1]
    print("ratios to policyc --jobs 1 (time):", ", ".join(f"{name}: {elapsed / base:.2f}×" for name, elapsed, _ in rows[1:]))
    if any(agree != N for _, _, agree in rows):
        sys.exit("engines disagree")

if __name__ == "__main__":
    main()
