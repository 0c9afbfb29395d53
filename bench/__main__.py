"""Benchmarks: figures as ratios against a baseline measured in the same run.

    make bench            # or: .venv/bin/python -m bench

1. Synth start-up: ``eksiam synth`` through the lazy provider import (``eksiam.cdk``) against
   a synth that imports ``cdktf_cdktf_provider_aws`` the ordinary way (every submodule); and
   the CPU and memory of jsii's Node process in each (``eksiam/provider_bindings.js``).
2. OPA: evaluating the synthesized stacks with the gate's in-process evaluator against the same
   query on the engine directly, and the one-off cost of loading the policies each way (the
   in-process evaluator, a server given by URL that is uploaded to, and one that already holds
   the set; the server is the OPA double of tests/opa_double).

3. The whole gate: a default ``eksiam check`` of this repository's app against a plain
   ``import cdktf_cdktf_provider_aws``, and the same check again with nothing changed.
4. The fleet: ``eksiam check --input`` on 1, 10 and 100 node stacks with both engines.
5. Tool CPU: the CPU time (user + system) of the gate's checkov run (a program's first, which
   imports checkov, and a later one, served by that import) against checkov's own script on the
   same files, and of the gate's terraform plan against the same plan with Go's
   default collector (``GOGC=100``); with the peak RSS of the largest process.

Wall time is the median of a few runs (``EKSIAM_BENCH_RUNS``, 3; a first gate run is one
with ``--no-cache``); memory is the Python process's own peak RSS (jsii's
Node process is a separate child and not counted), except for whole ``eksiam`` commands,
where it is the peak RSS of the largest process of the run (RUSAGE_CHILDREN).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("EKSIAM_BENCH_RUNS", "3"))

_EAGER_SYNTH = """
import cdktf_cdktf_provider_aws  # the ordinary import: ~2,200 submodules, in Python and in Node
from stacks import build_app
from eksiam.config import load_config
build_app(load_config(environ={{}}), {out!r}).synth()
"""
_LAZY_SYNTH = """
from stacks import build_app
from eksiam.config import load_config
build_app(load_config(environ={{}}), {out!r}).synth()
"""
# Appended to a synth: the CPU time and the largest peak RSS of the process's descendants
# (jsii's Node processes, still running), from /proc.
_NODE_PROBE = """
import os
def descendants(pid):
    try:
        children = [int(c) for c in open(f"/proc/{pid}/task/{pid}/children").read().split()]
    except OSError:
        return []
    return children + [d for c in children for d in descendants(c)]
cpu, peak = 0.0, 0
for pid in descendants(os.getpid()):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    cpu += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    peak = max([peak] + [int(line.split()[1]) for line in open(f"/proc/{pid}/status") if line.startswith("VmHWM:")])
print(cpu, peak)
"""
# Neither synth inherits a preload: the lazy one asks for its own as it imports eksiam.
_WITHOUT_NODE_OPTIONS = {key: value for key, value in os.environ.items() if key != "NODE_OPTIONS"}


def _wall_seconds(code: str) -> float:
    """Wall time of one fresh Python process running ``code``."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_WITHOUT_NODE_OPTIONS, check=True, capture_output=True)
    return time.perf_counter() - started


def _peak_rss_kib(code: str) -> int:
    """Peak RSS of the Python process itself running ``code`` (jsii's Node child excluded:
    ``RUSAGE_CHILDREN`` would report the largest descendant, which is Node)."""
    probe = code + "\nimport resource\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=_WITHOUT_NODE_OPTIONS, check=True, capture_output=True, text=True)
    return int(done.stdout.split()[-1])


def _node_usage(code: str) -> tuple[float, int]:
    """CPU seconds and peak RSS (KiB) of jsii's Node processes in one run of ``code``."""
    done = subprocess.run([sys.executable, "-c", code + _NODE_PROBE], cwd=ROOT, env=_WITHOUT_NODE_OPTIONS,
                          check=True, capture_output=True, text=True)
    cpu, peak = done.stdout.split()[-2:]
    return float(cpu), int(peak)


def bench_synth() -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, template in (("eager", _EAGER_SYNTH), ("lazy", _LAZY_SYNTH)):
            times = [_wall_seconds(template.format(out=f"{tmp}/{name}-{run}")) for run in range(RUNS)]
            rss = _peak_rss_kib(template.format(out=f"{tmp}/{name}-rss"))
            node = [_node_usage(template.format(out=f"{tmp}/{name}-node-{run}")) for run in range(RUNS)]
            results[name] = {
                "seconds": statistics.median(times), "peak_rss_mib": rss / 1024,
                "node_cpu_s": statistics.median(cpu for cpu, _ in node), "node_peak_rss_mib": max(p for _, p in node) / 1024,
            }
    results["speedup"] = results["eager"]["seconds"] / results["lazy"]["seconds"]
    results["memory_ratio"] = results["eager"]["peak_rss_mib"] / results["lazy"]["peak_rss_mib"]
    results["node_cpu_ratio"] = results["lazy"]["node_cpu_s"] / results["eager"]["node_cpu_s"]
    results["node_memory_ratio"] = results["lazy"]["node_peak_rss_mib"] / results["eager"]["node_peak_rss_mib"]
    return results


def bench_opa() -> dict:
    from opa_bindings import OpaEngine

    from eksiam.config import load_config
    from eksiam.gate.inputs import load_inputs
    from eksiam.gate.opa import evaluate_all, open_opa, policy_modules
    from stacks import build_app
    from tests.opa_double import OpaServerDouble

    config = load_config(environ={})
    with tempfile.TemporaryDirectory() as tmp:
        build_app(config, Path(tmp) / "out").synth()
        documents = load_inputs(sorted((Path(tmp) / "out").glob("stacks/*/cdk.tf.json")))
        rounds = 20

        # A server given by URL (the OPA double of tests/): the modules uploaded one by one the
        # first time, none the next.
        with OpaServerDouble() as server:
            by_url = {"opa_url": server.url, "token": server.token}
            started = time.perf_counter()
            with open_opa(ROOT / "policy", **by_url):
                upload_setup = time.perf_counter() - started
            started = time.perf_counter()
            with open_opa(ROOT / "policy", **by_url) as remote:
                held_setup = time.perf_counter() - started
                evaluate_all(remote, documents)
                started = time.perf_counter()
                for _ in range(rounds):
                    evaluate_all(remote, documents)
                rest = (time.perf_counter() - started) / rounds

        # The gate's default: the policy set compiled once in this process.
        started = time.perf_counter()
        with open_opa(ROOT / "policy", policy_config=config.to_policy_data()) as gate:
            gate_setup = time.perf_counter() - started
            evaluate_all(gate, documents)  # warm-up: prepare the query once
            started = time.perf_counter()
            for _ in range(rounds):
                evaluate_all(gate, documents)
            in_process = (time.perf_counter() - started) / rounds

        # A second run in the same process (an app's test suite calling run_check): the engine
        # compiled for the same policy set and settings is reused.
        started = time.perf_counter()
        with open_opa(ROOT / "policy", policy_config=config.to_policy_data()):
            reused_setup = time.perf_counter() - started

        started = time.perf_counter()
        engine = OpaEngine()
        for policy_id, source in policy_modules(ROOT / "policy").items():
            engine.add_policy(policy_id, source)
        engine.add_data({"eksiam": {"config": config.to_policy_data()}})
        engine.eval_query("true")  # compile once, as the first evaluation would
        direct_setup = time.perf_counter() - started
        for document in documents:
            engine.eval_query("decision := data.eksiam.main", dict(document.data))
        started = time.perf_counter()
        for _ in range(rounds):
            for document in documents:
                engine.eval_query("decision := data.eksiam.main", dict(document.data))
        direct = (time.perf_counter() - started) / rounds
        engine.close()
    return {
        "gate_ms": in_process * 1000,
        "rest_ms": rest * 1000,
        "direct_ms": direct * 1000,
        "gate_overhead": in_process / direct,
        "gate_setup_s": gate_setup,
        "reused_setup_s": reused_setup,
        "reused_ratio": reused_setup / gate_setup,
        "upload_setup_s": upload_setup,
        "held_setup_s": held_setup,
        "direct_setup_s": direct_setup,
        "setup_ratio": gate_setup / direct_setup,
        "upload_ratio": upload_setup / direct_setup,
    }


_PLAIN_IMPORT = "import cdktf_cdktf_provider_aws"
FLEET_SIZES = (1, 10, 100)


def _command(argv: list[str], cwd: Path) -> dict:
    """Wall time and peak RSS of one ``eksiam`` run in a fresh process (its largest descendant)."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "started = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "seconds = time.perf_counter() - started\n"
        "print(done.returncode, seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, *argv], cwd=cwd, capture_output=True, text=True, check=True)
    code, seconds, rss = done.stdout.split()
    return {"exit": int(code), "seconds": float(seconds), "peak_rss_mib": int(rss) / 1024}


def bench_gate() -> dict:
    """The default gate end to end (synth, plan, OPA, checkov) against one plain provider import."""
    eksiam = str(Path(sys.executable).parent / "eksiam")
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        app = f"{sys.executable} {ROOT / 'main.py'}"
        (project / "cdktf.json").write_text(json.dumps({"language": "python", "app": app, "output": "cdktf.out"}))
        check = [eksiam, "check", "--format", "json", "--output", "report.json"]
        plain = statistics.median(_wall_seconds(_PLAIN_IMPORT) for _ in range(RUNS))
        first = _median([_command([*check, "--no-cache"], project) for _ in range(RUNS)])
        _command(check, project)  # fills the cache
        again = _median([_command(check, project) for _ in range(RUNS)])
    return {
        "plain_import_s": plain,
        "first": first,
        "again": again,
        "first_vs_import": first["seconds"] / plain,
        "again_vs_first": again["seconds"] / first["seconds"],
    }


def _median(runs: list[dict]) -> dict:
    """The run of median wall time (its exit code and memory with it)."""
    return sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]


def bench_fleet() -> dict:
    """``check --input`` on N node stacks, both engines: how the gate grows with a fleet."""
    from eksiam.config import load_config
    from stacks import NODE_STACK, build_app

    check = [str(Path(sys.executable).parent / "eksiam"), "check", "--format", "json", "--output", "report.json", "--no-cache"]
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build_app(load_config(environ={"EKSIAM_CONNECTOR_ENABLED": "false"}), root / "out").synth()
        stack = json.loads((root / "out" / "stacks" / NODE_STACK / "cdk.tf.json").read_text())
        for n in range(max(FLEET_SIZES)):
            stack["resource"]["aws_iam_role"]["node_role"]["name"] = f"cluster-{n:03d}-nodes"
            (root / f"node-{n:03d}.tf.json").write_text(json.dumps(stack))
        for size in FLEET_SIZES:
            files = [str(root / f"node-{n:03d}.tf.json") for n in range(size)]
            # --no-cache: each fleet judged anew, not read from the smaller fleet's verdicts.
            results[str(size)] = _command([*check, "--input", *files], root)
        # The largest fleet and one file on which a checkov check raises: that file is an
        # error, the others keep the verdicts of the same run.
        faulty = str(ROOT / "tests" / "fixtures" / "adversarial" / "node_dynamic_inline_policy.tf.json")
        results["largest_and_faulty"] = _command([*check, "--input", *files, faulty], root)
    results["ratio_largest_to_one"] = results[str(max(FLEET_SIZES))]["seconds"] / results[str(min(FLEET_SIZES))]["seconds"]
    results["ratio_faulty_to_largest"] = results["largest_and_faulty"]["seconds"] / results[str(max(FLEET_SIZES))]["seconds"]
    return results


def _children_cpu(run) -> dict:
    """CPU seconds (user + system) and the largest peak RSS of the processes ``run()`` waits for,
    measured in a process of its own so that no earlier child is counted."""
    import multiprocessing

    def measure(queue) -> None:
        import resource

        run()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        queue.put({"cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mib": usage.ru_maxrss / 1024})

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=measure, args=(queue,))
    process.start()
    result = queue.get()
    process.join()
    return result


def bench_tool_cpu() -> dict:
    """checkov and terraform as the gate runs them, against each as it runs by default."""
    from eksiam.config import load_config
    from eksiam.gate.checkov.environment import CheckovOptions, checkov_environment
    from eksiam.gate.checkov.runner import FRAMEWORK_SYNTH, checkov_command, find_checkov, scan_files
    from eksiam.gate.checkov.warm import stop_all
    from eksiam.gate.terraform import plan_stacks, write_cli_config
    from stacks import build_app

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build_app(load_config(environ={}), root / "out").synth()
        stacks = sorted((root / "out").glob("stacks/*/cdk.tf.json"))
        options = CheckovOptions(external_checks_dir=ROOT / "policy" / "checkov")
        command = checkov_command(find_checkov(), stacks, FRAMEWORK_SYNTH, root / "checkov-out", options)
        env = checkov_environment(options, root)

        def gate_checkov(runs: int):
            """``runs`` gate runs of checkov in one program, which ends its checkov server after."""
            def run() -> None:
                for _ in range(runs):
                    scan_files(stacks, FRAMEWORK_SYNTH, options)
                stop_all()
            return run

        def plain_checkov() -> None:
            for _ in range(RUNS):
                subprocess.run(command, env=env, cwd=root, check=True, capture_output=True)

        cli_config = write_cli_config(root / "state")

        def plan(gogc: str | None):
            """Plans with ``GOGC`` set to ``gogc``, or unset (the gate's own default)."""
            def run() -> None:  # in a process of its own: the environment it changes is its own
                os.environ.pop("GOGC", None)
                if gogc is not None:
                    os.environ["GOGC"] = gogc
                for n in range(RUNS):
                    plan_stacks(stacks, root / f"plan-{gogc}-{n}", cli_config)
            return run

        # A program's first run imports checkov (in its server); each later run is a child of it.
        first = [_children_cpu(gate_checkov(1)) for _ in range(RUNS)]
        results["checkov_gate"] = {"cpu_s": sum(r["cpu_s"] for r in first), "peak_rss_mib": max(r["peak_rss_mib"] for r in first)}
        runs = _children_cpu(gate_checkov(1 + RUNS))
        results["checkov_served"] = {"cpu_s": runs["cpu_s"] - results["checkov_gate"]["cpu_s"] / RUNS, "peak_rss_mib": runs["peak_rss_mib"]}
        results["checkov_plain"] = _children_cpu(plain_checkov)
        results["terraform_gate"] = _children_cpu(plan(None))
        results["terraform_gogc100"] = _children_cpu(plan("100"))
    for run in results.values():
        run["cpu_s_per_run"] = run.pop("cpu_s") / RUNS
    results["checkov_ratio"] = results["checkov_gate"]["cpu_s_per_run"] / results["checkov_plain"]["cpu_s_per_run"]
    results["checkov_served_ratio"] = results["checkov_served"]["cpu_s_per_run"] / results["checkov_plain"]["cpu_s_per_run"]
    results["terraform_ratio"] = results["terraform_gate"]["cpu_s_per_run"] / results["terraform_gogc100"]["cpu_s_per_run"]
    return results


def main() -> None:
    sys.path.insert(0, str(ROOT))
    synth = bench_synth()
    print(f"synth, ordinary provider import: {synth['eager']['seconds']:.2f} s, {synth['eager']['peak_rss_mib']:.0f} MiB peak")
    print(f"synth, lazy provider import:     {synth['lazy']['seconds']:.2f} s, {synth['lazy']['peak_rss_mib']:.0f} MiB peak")
    print(f"  -> {synth['speedup']:.1f}x faster, {synth['memory_ratio']:.1f}x less memory")
    for name, label in (("eager", "ordinary"), ("lazy", "lazy")):
        print(f"synth, jsii's Node, {label + ' load:':<15} {synth[name]['node_cpu_s']:.2f} CPU-s, {synth[name]['node_peak_rss_mib']:.0f} MiB peak")
    print(f"  -> the lazy load costs {synth['node_cpu_ratio']:.2f}x the CPU and {synth['node_memory_ratio']:.2f}x the memory")
    opa = bench_opa()
    print(f"OPA, 2 stacks, the gate's in-process evaluator:  {opa['gate_ms']:.1f} ms per gate run")
    print(f"OPA, 2 stacks on the engine directly:            {opa['direct_ms']:.1f} ms -> the gate's costs {opa['gate_overhead']:.2f}x")
    print(f"OPA, 2 stacks on a server by URL (REST):         {opa['rest_ms']:.1f} ms")
    print(f"OPA set-up, the gate's in-process evaluator:      {opa['gate_setup_s']:.2f} s -> {opa['setup_ratio']:.1f}x the engine's")
    print(f"OPA set-up, a second run in the same process:    {opa['reused_setup_s']:.3f} s -> {opa['reused_ratio']:.3f}x the first")
    print(f"OPA set-up, a server by URL, modules uploaded one by one: {opa['upload_setup_s']:.2f} s -> {opa['upload_ratio']:.1f}x")
    print(f"OPA set-up, a server by URL already holding the set:      {opa['held_setup_s']:.2f} s (no upload)")
    print(f"OPA set-up, all modules loaded into the engine directly:  {opa['direct_setup_s']:.2f} s")
    gate = bench_gate()
    print(f"plain `import cdktf_cdktf_provider_aws`:        {gate['plain_import_s']:.2f} s")
    print(f"default `eksiam check` (synth, plan, OPA, checkov): {gate['first']['seconds']:.2f} s, {gate['first']['peak_rss_mib']:.0f} MiB peak"
          f" -> {gate['first_vs_import']:.2f}x the import (target <= 1.0x)")
    print(f"the same check again, nothing changed:          {gate['again']['seconds']:.2f} s"
          f" -> {gate['again_vs_first']:.2f}x the first (target <= 0.35x)")
    fleet = bench_fleet()
    print("| node stacks | `eksiam check --input`, both engines | peak RSS |")
    print("|---|---|---|")
    for size in FLEET_SIZES:
        print(f"| {size} | {fleet[str(size)]['seconds']:.1f} s | {fleet[str(size)]['peak_rss_mib']:.0f} MiB |")
    print(f"  -> {max(FLEET_SIZES)} stacks take {fleet['ratio_largest_to_one']:.2f}x one (target <= 3x)")
    print(f"{max(FLEET_SIZES)} stacks and one file checkov cannot evaluate: {fleet['largest_and_faulty']['seconds']:.1f} s"
          f" -> {fleet['ratio_faulty_to_largest']:.2f}x without it (exit {fleet['largest_and_faulty']['exit']})")
    tools = bench_tool_cpu()
    for name, label in (("checkov_gate", "checkov, a program's first run"), ("checkov_served", "checkov, each later run of the program"),
                        ("checkov_plain", "checkov, its own script"),
                        ("terraform_gate", "terraform plan of 2 stacks, as the gate runs it"),
                        ("terraform_gogc100", "terraform plan of 2 stacks, GOGC=100")):
        print(f"{label + ':':<50} {tools[name]['cpu_s_per_run']:.2f} CPU-s, {tools[name]['peak_rss_mib']:.0f} MiB peak")
    print(f"  -> checkov {tools['checkov_ratio']:.2f}x (a first run), {tools['checkov_served_ratio']:.2f}x (a later one),"
          f" terraform {tools['terraform_ratio']:.2f}x the CPU of their defaults")
    print(json.dumps({"synth": synth, "opa": opa, "gate": gate, "fleet": fleet, "tools": tools}))


if __name__ == "__main__":
    main()
