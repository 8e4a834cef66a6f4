from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ImportClusterRequest")


@_attrs_define
class ImportClusterRequest:
    """
    Attributes:
        name (str): Unique; 1-64 characters of A-Z, a-z, 0-9, `_`, `.`, `-`.
        kubeconfig (str): The kubeconfig, base64-encoded. Only inline credentials are accepted
            (token, client certificate and key data, username and password).
        description (str | Unset):
        provider (str | Unset):
        allow_insecure (bool | Unset): Admin only: allow `insecure-skip-tls-verify` or a plain `http` server.
    """

    name: str
    kubeconfig: str
    description: str | Unset = UNSET
    provider: str | Unset = UNSET
    allow_insecure: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        kubeconfig = self.kubeconfig

        description = self.description

        provider = self.provider

        allow_insecure = self.allow_insecure

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "kubeconfig": kubeconfig,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if provider is not UNSET:
            field_dict["provider"] = provider
        if allow_insecure is not UNSET:
            field_dict["allow_insecure"] = allow_insecure

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        kubeconfig = d.pop("kubeconfig")

        description = d.pop("description", UNSET)

        provider = d.pop("provider", UNSET)

        allow_insecure = d.pop("allow_insecure", UNSET)

        import_cluster_request = cls(
            name=name,
            kubeconfig=kubeconfig,
            description=description,
            provider=provider,
            allow_insecure=allow_insecure,
        )

        import_cluster_request.additional_properties = d
        return import_cluster_request

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
