from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="EtcdMemberBody")


@_attrs_define
class EtcdMemberBody:
    """One etcd member, as a restore needs it.

    Attributes:
        name (str): The member's name (`--name`).
        peer_url (str): Its peer URL (`--initial-advertise-peer-urls`), `http(s)://host:port`.
        client_url (str): Its client URL, `https://host:port`.
        host (str | Unset): The host to log in to over SSH; defaults to the client URL's host
            (which must be a host of `etcd_endpoints`).
        data_dir (str | Unset): This member's data dir, if it differs from `etcd_data_dir`.
        manifests_dir (str | Unset): This member's static pod manifests dir, if it differs from `manifests_dir`.
    """

    name: str
    peer_url: str
    client_url: str
    host: str | Unset = UNSET
    data_dir: str | Unset = UNSET
    manifests_dir: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        peer_url = self.peer_url

        client_url = self.client_url

        host = self.host

        data_dir = self.data_dir

        manifests_dir = self.manifests_dir

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "peer_url": peer_url,
                "client_url": client_url,
            }
        )
        if host is not UNSET:
            field_dict["host"] = host
        if data_dir is not UNSET:
            field_dict["data_dir"] = data_dir
        if manifests_dir is not UNSET:
            field_dict["manifests_dir"] = manifests_dir

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        peer_url = d.pop("peer_url")

        client_url = d.pop("client_url")

        host = d.pop("host", UNSET)

        data_dir = d.pop("data_dir", UNSET)

        manifests_dir = d.pop("manifests_dir", UNSET)

        etcd_member_body = cls(
            name=name,
            peer_url=peer_url,
            client_url=client_url,
            host=host,
            data_dir=data_dir,
            manifests_dir=manifests_dir,
        )

        etcd_member_body.additional_properties = d
        return etcd_member_body

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
