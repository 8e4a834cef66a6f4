from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="PolicyRule")


@_attrs_define
class PolicyRule:
    """
    Attributes:
        direction (str): `ingress` or `egress`.
        from_ (list[Any]):
        to (list[Any]):
        ports (list[Any]):
    """

    direction: str
    from_: list[Any]
    to: list[Any]
    ports: list[Any]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        direction = self.direction

        from_ = self.from_

        to = self.to

        ports = self.ports

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "direction": direction,
                "from": from_,
                "to": to,
                "ports": ports,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        direction = d.pop("direction")

        from_ = cast(list[Any], d.pop("from"))

        to = cast(list[Any], d.pop("to"))

        ports = cast(list[Any], d.pop("ports"))

        policy_rule = cls(
            direction=direction,
            from_=from_,
            to=to,
            ports=ports,
        )

        policy_rule.additional_properties = d
        return policy_rule

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
