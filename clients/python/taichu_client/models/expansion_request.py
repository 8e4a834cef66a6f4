from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ExpansionRequest")


@_attrs_define
class ExpansionRequest:
    """More workers: `node_count` ready machines labelled
    `instance-type=<instance_type>`, or the `machine_ids` named.

        Attributes:
            node_count (int | Unset): 1-50.
            instance_type (str | Unset): Matches the machines' `instance-type` label.
            machine_ids (list[str] | Unset):
    """

    node_count: int | Unset = UNSET
    instance_type: str | Unset = UNSET
    machine_ids: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        node_count = self.node_count

        instance_type = self.instance_type

        machine_ids: list[str] | Unset = UNSET
        if not isinstance(self.machine_ids, Unset):
            machine_ids = self.machine_ids

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if node_count is not UNSET:
            field_dict["node_count"] = node_count
        if instance_type is not UNSET:
            field_dict["instance_type"] = instance_type
        if machine_ids is not UNSET:
            field_dict["machine_ids"] = machine_ids

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        node_count = d.pop("node_count", UNSET)

        instance_type = d.pop("instance_type", UNSET)

        machine_ids = cast(list[str], d.pop("machine_ids", UNSET))

        expansion_request = cls(
            node_count=node_count,
            instance_type=instance_type,
            machine_ids=machine_ids,
        )

        expansion_request.additional_properties = d
        return expansion_request

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
