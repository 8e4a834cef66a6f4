from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.node_view_labels import NodeViewLabels


T = TypeVar("T", bound="NodeView")


@_attrs_define
class NodeView:
    """A node as the seed describes it.

    Attributes:
        id (str): The node's UID.
        name (str):
        type_ (str): `control-plane` or `worker`.
        status (str): `Ready`, `NotReady` or `Unknown`.
        pod_count (int):
        labels (NodeViewLabels):
        cpu_cores (float | Unset):
        cpu_usage_percent (float | Unset): From metrics.k8s.io; null when the cluster does not serve it.
        memory_bytes (int | Unset):
        memory_usage_percent (float | Unset): From metrics.k8s.io; null when the cluster does not serve it.
    """

    id: str
    name: str
    type_: str
    status: str
    pod_count: int
    labels: NodeViewLabels
    cpu_cores: float | Unset = UNSET
    cpu_usage_percent: float | Unset = UNSET
    memory_bytes: int | Unset = UNSET
    memory_usage_percent: float | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        name = self.name

        type_ = self.type_

        status = self.status

        pod_count = self.pod_count

        labels = self.labels.to_dict()

        cpu_cores = self.cpu_cores

        cpu_usage_percent = self.cpu_usage_percent

        memory_bytes = self.memory_bytes

        memory_usage_percent = self.memory_usage_percent

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "type": type_,
                "status": status,
                "pod_count": pod_count,
                "labels": labels,
            }
        )
        if cpu_cores is not UNSET:
            field_dict["cpu_cores"] = cpu_cores
        if cpu_usage_percent is not UNSET:
            field_dict["cpu_usage_percent"] = cpu_usage_percent
        if memory_bytes is not UNSET:
            field_dict["memory_bytes"] = memory_bytes
        if memory_usage_percent is not UNSET:
            field_dict["memory_usage_percent"] = memory_usage_percent

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.node_view_labels import NodeViewLabels  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        name = d.pop("name")

        type_ = d.pop("type")

        status = d.pop("status")

        pod_count = d.pop("pod_count")

        labels = NodeViewLabels.from_dict(d.pop("labels"))

        cpu_cores = d.pop("cpu_cores", UNSET)

        cpu_usage_percent = d.pop("cpu_usage_percent", UNSET)

        memory_bytes = d.pop("memory_bytes", UNSET)

        memory_usage_percent = d.pop("memory_usage_percent", UNSET)

        node_view = cls(
            id=id,
            name=name,
            type_=type_,
            status=status,
            pod_count=pod_count,
            labels=labels,
            cpu_cores=cpu_cores,
            cpu_usage_percent=cpu_usage_percent,
            memory_bytes=memory_bytes,
            memory_usage_percent=memory_usage_percent,
        )

        node_view.additional_properties = d
        return node_view

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
