"""`lyceum adaptive evaluate`'s report: the holdout evaluation on the main world
(`evaluation.py`) and parameter recovery on the BKT world (`recovery.py`), with the machine
they ran on, as JSON and as a few printable lines."""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from lyceum.adaptive.mastery.evaluation import TARGET_IMPROVEMENT, Evaluation, evaluate
from lyceum.adaptive.mastery.recovery import TOLERANCE, Recovery, recovery

RECOVERED = ("guess_mcq", "guess_numeric", "slip", "p_learn")


@dataclass(frozen=True)
class MasteryReport:
    evaluation: Evaluation
    recovery: Recovery
    seconds: float
    machine: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        e = self.evaluation
        return {
            "benchmark": "adaptive_mastery",
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": self.machine,
            "seconds": round(self.seconds, 1),
            "evaluation": {
                "world": f"synthetic main world (IRT-style latent mastery), scale {e.scale}, "
                f"seed {e.seed}",
                "attempts": e.attempts,
                "train_attempts": e.train_attempts,
                "test_attempts": e.test_attempts,
                "cutoff": e.cutoff.isoformat(),
                "concepts_fitted": e.concepts_fitted,
                "fit_seconds": e.fit_seconds,
                "served_model": e.served.name,
                "served_improvement_over_best_baseline": e.improvement(e.served),
                "models": [asdict(m) for m in e.models],
                "baselines": [asdict(b) for b in e.baselines],
                "best_baseline": e.best_baseline.name,
                "improvement_over_best_baseline": {m.name: e.improvement(m) for m in e.models},
                "target_improvement": TARGET_IMPROVEMENT,
                "generator_truth": asdict(e.truth),
                "ceiling_improvement": e.ceiling,
                "final_mastery_correlation": e.final_mastery_correlation,
                "plain_final_mastery_correlation": e.plain_final_mastery_correlation,
                "notes": e.notes,
            },
            "recovery": {
                "world": "BKT-with-forgetting world (synthetic/bkt_world.py)",
                **{k: v for k, v in asdict(self.recovery).items() if k != "errors"},
                "tolerance": TOLERANCE,
                "errors": {err.name: asdict(err) for err in self.recovery.errors},
            },
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2) + "\n"

    def lines(self) -> list[str]:
        e, r = self.evaluation, self.recovery
        out = [
            f"holdout: {e.train_attempts:,} training and {e.test_attempts:,} test attempts "
            f"(cutoff {e.cutoff:%Y-%m-%d}), {e.concepts_fitted} concepts fitted",
            f"served model: {e.served.name} ({e.improvement(e.served):+.1%} log-loss vs the best "
            f"baseline, AUC {e.served.auc:.3f})",
            f"{'model':28} {'log-loss':>9} {'AUC':>7} {'vs best baseline':>17}",
        ]
        for s in (*e.models, *e.baselines, e.truth):
            out.append(f"{s.name:28} {s.log_loss:9.4f} {s.auc:7.4f} {e.improvement(s):+17.1%}")
        out.append(
            f"target {TARGET_IMPROVEMENT:.0%} better than {e.best_baseline.name}; the generator's "
            f"own probabilities are {e.ceiling:.1%} better (the ceiling); final P(L) vs true "
            f"mastery r = {e.final_mastery_correlation:.3f} (plain BKT "
            f"{e.plain_final_mastery_correlation:.3f})"
        )
        out.append(f"recovery ({r.students} students, {r.attempts:,} attempts, "
                   f"|fitted - true| over {r.concepts_fitted} concepts):")  # fmt: skip
        for err in r.errors:
            out.append(
                f"  {err.name:15} mean {err.mean:.3f} median {err.median:.3f} max {err.max:.3f}"
                f" within {TOLERANCE}: {err.within_tolerance:.0%}"
            )
        return out


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "load_average_1m_5m_at_start": [round(load[0], 2), round(load[1], 2)],
    }


def mastery_report(scale: str = "default", seed: int = 0) -> MasteryReport:
    started = time.perf_counter()
    where = machine()
    evaluation = evaluate(scale, seed)
    recovered = recovery(scale, seed)
    return MasteryReport(evaluation, recovered, time.perf_counter() - started, where)


__all__ = ["RECOVERED", "MasteryReport", "machine", "mastery_report"]
