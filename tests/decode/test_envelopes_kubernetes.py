"""Vector's kubernetes_logs events keep their Kubernetes metadata, under the names Filebeat gives it."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.decode.envelopes import unwrap

name = st.from_regex(r"[a-z0-9]([a-z0-9.-]{0,20}[a-z0-9])?", fullmatch=True)
label_key = st.tuples(st.one_of(st.none(), name), name).map(lambda t: f"{t[0]}/{t[1]}" if t[0] else t[1])
labels = st.dictionaries(label_key, st.text(max_size=10), max_size=4)
json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8,
)
SCALARS = {
    "pod_namespace": "kubernetes.namespace",
    "pod_name": "kubernetes.pod.name",
    "pod_uid": "kubernetes.pod.uid",
    "pod_ip": "kubernetes.pod.ip",
    "pod_node_name": "kubernetes.node.name",
    "container_name": "kubernetes.container.name",
    "container_image": "container.image.name",
}
LABELS = {
    "pod_labels": "kubernetes.labels.",
    "pod_annotations": "kubernetes.annotations.",
    "namespace_labels": "kubernetes.namespace_labels.",
    "node_labels": "kubernetes.node.labels.",
}


def event(k8s: Any) -> dict[str, Any]:
    return {"message": "hello", "source_type": "kubernetes_logs", "stream": "stderr", "kubernetes": k8s}


class TestVectorKubernetesLogs:
    @settings(max_examples=300, deadline=None)
    @given(
        scalars=st.fixed_dictionaries({}, optional={k: name for k in SCALARS}),
        label_sets=st.fixed_dictionaries({}, optional={k: labels for k in LABELS}),
        owner=st.one_of(st.none(), st.tuples(st.sampled_from(["ReplicaSet", "StatefulSet", "DaemonSet", "Job"]), name)),
        runtime=st.one_of(st.none(), st.sampled_from(["containerd", "docker", "cri-o"])),
        cid=name,
    )
    def test_every_documented_field_lands_under_its_beats_name(
        self,
        scalars: dict[str, str],
        label_sets: dict[str, dict[str, str]],
        owner: tuple[str, str] | None,
        runtime: str | None,
        cid: str,
    ) -> None:
        k8s: dict[str, Any] = {**scalars, **label_sets, "container_id": f"{runtime}://{cid}" if runtime else cid}
        if owner:
            k8s["pod_owner"] = f"{owner[0]}/{owner[1]}"
        unwrapped = unwrap(event(k8s))
        assert unwrapped is not None
        message, meta, _ = unwrapped
        assert message == "hello" and meta["agent.type"] == "vector" and meta["log.stream"] == "stderr"
        for src, dst in SCALARS.items():
            assert meta.get(dst) == (scalars.get(src) or None)
        assert (meta["container.id"], meta.get("container.runtime")) == (cid, runtime)
        for src, prefix in LABELS.items():
            got = {k[len(prefix) :]: v for k, v in meta.items() if k.startswith(prefix)}
            want = {k.replace(".", "_").replace("/", "_"): v for k, v in label_sets.get(src, {}).items()}
            assert got == want  # one field per label, its name without dots (no object under a keyword)
        if owner:
            assert meta[f"kubernetes.{owner[0].lower()}.name"] == owner[1]

    @settings(max_examples=300, deadline=None)
    @given(k8s=json_value)
    def test_any_shape_of_kubernetes_value_unwraps_without_an_error(self, k8s: Any) -> None:
        unwrapped = unwrap(event(k8s if not isinstance(k8s, dict) else {"pod_labels": k8s, "pod_name": k8s}))
        assert unwrapped is not None
        assert all(isinstance(v, str) for k, v in unwrapped[1].items() if k.startswith(("kubernetes.", "container.")))
