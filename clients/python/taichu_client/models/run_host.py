from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.host_step import HostStep


T = TypeVar("T", bound="RunHost")


@_attrs_define
class RunHost:
    """Where one machine of a multi-host run is.

    Attributes:
        machine_id (str):
        role (str): `control-plane` or `worker`.
        steps (list[HostStep]): The steps it has been through, in order; none yet: waiting for its first.
        name (str | Unset): The machine's name and address (absent once the machine is deleted).
        ip (str | Unset):
    """

    machine_id: str
    role: str
    steps: list[HostStep]
    name: str | Unset = UNSET
    ip: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        machine_id = self.machine_id

        role = self.role

        steps = []
        for steps_item_data in self.steps:
            steps_item = steps_item_data.to_dict()
            steps.append(steps_item)

        name = self.name

        ip = self.ip

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "machine_id": machine_id,
                "role": role,
                "steps": steps,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name
        if ip is not UNSET:
            field_dict["ip"] = ip

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.host_step import HostStep  # noqa: PLC0415

        d = dict(src_dict)
        machine_id = d.pop("machine_id")

        role = d.pop("role")

        steps = []
        _steps = d.pop("steps")
        for steps_item_data in _steps:
            steps_item = HostStep.from_dict(steps_item_data)

            steps.append(steps_item)

        name = d.pop("name", UNSET)

        ip = d.pop("ip", UNSET)

        run_host = cls(
            machine_id=machine_id,
            role=role,
            steps=steps,
            name=name,
            ip=ip,
        )

        run_host.additional_properties = d
        return run_host

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
