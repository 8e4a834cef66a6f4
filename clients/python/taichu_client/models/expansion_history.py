from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.expansion_view import ExpansionView


T = TypeVar("T", bound="ExpansionHistory")


@_attrs_define
class ExpansionHistory:
    """
    Attributes:
        expansions (list[ExpansionView]):
        total (int):
    """

    expansions: list[ExpansionView]
    total: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        expansions = []
        for expansions_item_data in self.expansions:
            expansions_item = expansions_item_data.to_dict()
            expansions.append(expansions_item)

        total = self.total

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "expansions": expansions,
                "total": total,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.expansion_view import ExpansionView  # noqa: PLC0415

        d = dict(src_dict)
        expansions = []
        _expansions = d.pop("expansions")
        for expansions_item_data in _expansions:
            expansions_item = ExpansionView.from_dict(expansions_item_data)

            expansions.append(expansions_item)

        total = d.pop("total")

        expansion_history = cls(
            expansions=expansions,
            total=total,
        )

        expansion_history.additional_properties = d
        return expansion_history

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
