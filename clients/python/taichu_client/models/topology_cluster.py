from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="TopologyCluster")


@_attrs_define
class TopologyCluster:
    """One cluster in the topology.

    Attributes:
        id (str):
        name (str):
        status (str):
        node_count (int):
        version (str | Unset):
        provider (str | Unset):
    """

    id: str
    name: str
    status: str
    node_count: int
    version: str | Unset = UNSET
    provider: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        name = self.name

        status = self.status

        node_count = self.node_count

        version = self.version

        provider = self.provider

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "status": status,
                "node_count": node_count,
            }
        )
        if version is not UNSET:
            field_dict["version"] = version
        if provider is not UNSET:
            field_dict["provider"] = provider

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        name = d.pop("name")

        status = d.pop("status")

        node_count = d.pop("node_count")

        version = d.pop("version", UNSET)

        provider = d.pop("provider", UNSET)

        topology_cluster = cls(
            id=id,
            name=name,
            status=status,
            node_count=node_count,
            version=version,
            provider=provider,
        )

        topology_cluster.additional_properties = d
        return topology_cluster

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
