"""Which distribution strategy, and this process's place in a training cluster (from `TF_CONFIG`).

Free of TensorFlow, so the command line checks a cluster description before TensorFlow's slow start.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

from siamese_core.errors import ConfigError

STRATEGIES = ("default", "mirrored", "multi-worker")
TF_CONFIG_EXAMPLE = (
    'TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
    '"task": {"type": "worker", "index": 0}}\''
)


@dataclass(frozen=True)
class WorkerRole:
    """This process's place in a training cluster.

    Attributes:
        index: Position among all workers (the chief first), from 0.
        count: Number of workers.
        is_chief: Whether this worker writes the model and reports (only one does).
    """

    index: int = 0
    count: int = 1
    is_chief: bool = True

    def describe(self) -> str:
        role = "the chief" if self.is_chief else "not the chief"
        return f"worker {self.index + 1} of {self.count} ({role})"


def worker_role(strategy: str = "default", environ: Mapping[str, str] | None = None) -> WorkerRole:
    """This process's role, from the `TF_CONFIG` environment variable for "multi-worker".

    Checked before TensorFlow starts, so a wrong cluster description is one clear message rather than
    a worker waiting for peers that never come.

    Args:
        strategy: One of `STRATEGIES`.
        environ: The environment; `os.environ` when None.

    Returns:
        A `WorkerRole`; a single chief for "default" and "mirrored".

    Raises:
        ConfigError: If the strategy is unknown, or `TF_CONFIG` is missing or does not describe a
            cluster with this task in it.
    """
    if strategy not in STRATEGIES:
        raise ConfigError(f"strategy must be one of {', '.join(STRATEGIES)}. Received: strategy={strategy!r}")
    if strategy != "multi-worker":
        return WorkerRole()
    environ = os.environ if environ is None else environ
    text = environ.get("TF_CONFIG", "").strip()
    if not text:
        raise ConfigError(
            "the multi-worker strategy needs the TF_CONFIG environment variable on every machine, naming "
            f"all workers and this one's index, e.g. {TF_CONFIG_EXAMPLE} (see docs/scaling.md)"
        )
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"TF_CONFIG is not valid JSON ({error.msg} at character {error.pos}); "
            f"expected e.g. {TF_CONFIG_EXAMPLE}"
        ) from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise ConfigError(f"TF_CONFIG needs a 'cluster' and a 'task' object, e.g. {TF_CONFIG_EXAMPLE}")
    members = []
    for kind in ("chief", "worker"):
        addresses = cluster.get(kind, [])
        if not isinstance(addresses, list) or not all(
            isinstance(address, str) and ":" in address for address in addresses
        ):
            raise ConfigError(
                f"TF_CONFIG cluster.{kind} must be a list of 'host:port' addresses. Received: {addresses!r}"
            )
        members += [(kind, index) for index in range(len(addresses))]
    if len(cluster.get("chief", [])) > 1:
        raise ConfigError("TF_CONFIG may name one chief at most")
    kind, index = task.get("type"), task.get("index")
    if (kind, index) not in members:
        raise ConfigError(
            f"TF_CONFIG task {{'type': {kind!r}, 'index': {index!r}}} is not in the cluster, which has "
            f"{len(cluster.get('chief', []))} chief and {len(cluster.get('worker', []))} workers"
        )
    position = members.index((kind, index))
    return WorkerRole(index=position, count=len(members), is_chief=position == 0)
