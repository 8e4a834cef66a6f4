from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateClusterRequest")


@_attrs_define
class CreateClusterRequest:
    """Register a cluster record.

    Attributes:
        name (str): Unique; 1-64 characters of A-Z, a-z, 0-9, `_`, `.`, `-`.
        description (str | Unset):
        provider (str | Unset):
        region (str | Unset):
        version (str | Unset): Kubernetes version, e.g. `v1.33.1`.
        node_count (int | Unset):
        kubeconfig (str | Unset): Base64 kubeconfig; with one, the cluster is imported (see `POST /clusters/import`).
        allow_insecure (bool | Unset): Admin only: allow `insecure-skip-tls-verify` or a plain `http` server in the
            kubeconfig.
    """

    name: str
    description: str | Unset = UNSET
    provider: str | Unset = UNSET
    region: str | Unset = UNSET
    version: str | Unset = UNSET
    node_count: int | Unset = UNSET
    kubeconfig: str | Unset = UNSET
    allow_insecure: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        description = self.description

        provider = self.provider

        region = self.region

        version = self.version

        node_count = self.node_count

        kubeconfig = self.kubeconfig

        allow_insecure = self.allow_insecure

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if provider is not UNSET:
            field_dict["provider"] = provider
        if region is not UNSET:
            field_dict["region"] = region
        if version is not UNSET:
            field_dict["version"] = version
        if node_count is not UNSET:
            field_dict["node_count"] = node_count
        if kubeconfig is not UNSET:
            field_dict["kubeconfig"] = kubeconfig
        if allow_insecure is not UNSET:
            field_dict["allow_insecure"] = allow_insecure

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        description = d.pop("description", UNSET)

        provider = d.pop("provider", UNSET)

        region = d.pop("region", UNSET)

        version = d.pop("version", UNSET)

        node_count = d.pop("node_count", UNSET)

        kubeconfig = d.pop("kubeconfig", UNSET)

        allow_insecure = d.pop("allow_insecure", UNSET)

        create_cluster_request = cls(
            name=name,
            description=description,
            provider=provider,
            region=region,
            version=version,
            node_count=node_count,
            kubeconfig=kubeconfig,
            allow_insecure=allow_insecure,
        )

        create_cluster_request.additional_properties = d
        return create_cluster_request

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
