from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="EtcdMemberView")


@_attrs_define
class EtcdMemberView:
    """
    Attributes:
        name (str):
        host (str):
        peer_url (str):
        client_url (str):
        data_dir (str | Unset):
        manifests_dir (str | Unset):
    """

    name: str
    host: str
    peer_url: str
    client_url: str
    data_dir: str | Unset = UNSET
    manifests_dir: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        host = self.host

        peer_url = self.peer_url

        client_url = self.client_url

        data_dir = self.data_dir

        manifests_dir = self.manifests_dir

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "host": host,
                "peer_url": peer_url,
                "client_url": client_url,
            }
        )
        if data_dir is not UNSET:
            field_dict["data_dir"] = data_dir
        if manifests_dir is not UNSET:
            field_dict["manifests_dir"] = manifests_dir

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        host = d.pop("host")

        peer_url = d.pop("peer_url")

        client_url = d.pop("client_url")

        data_dir = d.pop("data_dir", UNSET)

        manifests_dir = d.pop("manifests_dir", UNSET)

        etcd_member_view = cls(
            name=name,
            host=host,
            peer_url=peer_url,
            client_url=client_url,
            data_dir=data_dir,
            manifests_dir=manifests_dir,
        )

        etcd_member_view.additional_properties = d
        return etcd_member_view

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
