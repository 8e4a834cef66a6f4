from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.etcd_settings_view import EtcdSettingsView


T = TypeVar("T", bound="EnvelopeEtcdSettingsView")


@_attrs_define
class EnvelopeEtcdSettingsView:
    """A successful response: `code` is 0 and `data` holds the result.

    Attributes:
        code (int): Always 0 on success.
        message (str): `success`.
        data (EtcdSettingsView): A cluster's etcd settings as the API shows them.
    """

    code: int
    message: str
    data: EtcdSettingsView
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        message = self.message

        data = self.data.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "message": message,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.etcd_settings_view import EtcdSettingsView  # noqa: PLC0415

        d = dict(src_dict)
        code = d.pop("code")

        message = d.pop("message")

        data = EtcdSettingsView.from_dict(d.pop("data"))

        envelope_etcd_settings_view = cls(
            code=code,
            message=message,
            data=data,
        )

        envelope_etcd_settings_view.additional_properties = d
        return envelope_etcd_settings_view

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
