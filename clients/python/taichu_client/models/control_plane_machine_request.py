from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ControlPlaneMachineRequest")


@_attrs_define
class ControlPlaneMachineRequest:
    """Names the registered machine that is a control plane of an imported cluster.

    Attributes:
        machine_id (str): A `ready` machine with role `control-plane`, in no other cluster, that
            the caller may use. Expansion checks it is a control-plane node of
            this cluster before it asks it for a join token.
    """

    machine_id: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        machine_id = self.machine_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "machine_id": machine_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        machine_id = d.pop("machine_id")

        control_plane_machine_request = cls(
            machine_id=machine_id,
        )

        control_plane_machine_request.additional_properties = d
        return control_plane_machine_request

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
