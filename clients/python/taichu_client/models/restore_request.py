from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.restore_request_namespace_mappings import RestoreRequestNamespaceMappings


T = TypeVar("T", bound="RestoreRequest")


@_attrs_define
class RestoreRequest:
    """Restore a backup. Every field but the name is optional: by default
    every completed part is restored (etcd first), every object, into the
    backup's own cluster, leaving objects that already exist as they are.

        Attributes:
            restore_name (str): 1-128 characters of A-Z, a-z, 0-9, `_`, `.`, `-`.
            parts (list[str] | Unset): `etcd`, `resources` (a full backup has both; default: every completed part).
            include_namespaces (list[str] | Unset): Only these namespaces (cluster-scoped kinds then only when named in
                `include_kinds`).
            exclude_namespaces (list[str] | Unset):
            include_kinds (list[str] | Unset): Only these kinds.
            exclude_kinds (list[str] | Unset):
            namespace_mappings (RestoreRequestNamespaceMappings | Unset): Resources: source namespace → target namespace,
                e.g. `{"shop": "shop-restored"}`.
            existing_policy (str | Unset): Resources: `skip` (default; an existing object is left as it is and
                counted) or `update` (server-side applied over).
            target_cluster_id (str | Unset): Resources: restore into this registered cluster instead (its owner or an
                admin).
    """

    restore_name: str
    parts: list[str] | Unset = UNSET
    include_namespaces: list[str] | Unset = UNSET
    exclude_namespaces: list[str] | Unset = UNSET
    include_kinds: list[str] | Unset = UNSET
    exclude_kinds: list[str] | Unset = UNSET
    namespace_mappings: RestoreRequestNamespaceMappings | Unset = UNSET
    existing_policy: str | Unset = UNSET
    target_cluster_id: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        restore_name = self.restore_name

        parts: list[str] | Unset = UNSET
        if not isinstance(self.parts, Unset):
            parts = self.parts

        include_namespaces: list[str] | Unset = UNSET
        if not isinstance(self.include_namespaces, Unset):
            include_namespaces = self.include_namespaces

        exclude_namespaces: list[str] | Unset = UNSET
        if not isinstance(self.exclude_namespaces, Unset):
            exclude_namespaces = self.exclude_namespaces

        include_kinds: list[str] | Unset = UNSET
        if not isinstance(self.include_kinds, Unset):
            include_kinds = self.include_kinds

        exclude_kinds: list[str] | Unset = UNSET
        if not isinstance(self.exclude_kinds, Unset):
            exclude_kinds = self.exclude_kinds

        namespace_mappings: dict[str, Any] | Unset = UNSET
        if not isinstance(self.namespace_mappings, Unset):
            namespace_mappings = self.namespace_mappings.to_dict()

        existing_policy = self.existing_policy

        target_cluster_id = self.target_cluster_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "restore_name": restore_name,
            }
        )
        if parts is not UNSET:
            field_dict["parts"] = parts
        if include_namespaces is not UNSET:
            field_dict["include_namespaces"] = include_namespaces
        if exclude_namespaces is not UNSET:
            field_dict["exclude_namespaces"] = exclude_namespaces
        if include_kinds is not UNSET:
            field_dict["include_kinds"] = include_kinds
        if exclude_kinds is not UNSET:
            field_dict["exclude_kinds"] = exclude_kinds
        if namespace_mappings is not UNSET:
            field_dict["namespace_mappings"] = namespace_mappings
        if existing_policy is not UNSET:
            field_dict["existing_policy"] = existing_policy
        if target_cluster_id is not UNSET:
            field_dict["target_cluster_id"] = target_cluster_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.restore_request_namespace_mappings import RestoreRequestNamespaceMappings  # noqa: PLC0415

        d = dict(src_dict)
        restore_name = d.pop("restore_name")

        parts = cast(list[str], d.pop("parts", UNSET))

        include_namespaces = cast(list[str], d.pop("include_namespaces", UNSET))

        exclude_namespaces = cast(list[str], d.pop("exclude_namespaces", UNSET))

        include_kinds = cast(list[str], d.pop("include_kinds", UNSET))

        exclude_kinds = cast(list[str], d.pop("exclude_kinds", UNSET))

        _namespace_mappings = d.pop("namespace_mappings", UNSET)
        namespace_mappings: RestoreRequestNamespaceMappings | Unset
        if isinstance(_namespace_mappings, Unset):
            namespace_mappings = UNSET
        else:
            namespace_mappings = RestoreRequestNamespaceMappings.from_dict(_namespace_mappings)

        existing_policy = d.pop("existing_policy", UNSET)

        target_cluster_id = d.pop("target_cluster_id", UNSET)

        restore_request = cls(
            restore_name=restore_name,
            parts=parts,
            include_namespaces=include_namespaces,
            exclude_namespaces=exclude_namespaces,
            include_kinds=include_kinds,
            exclude_kinds=exclude_kinds,
            namespace_mappings=namespace_mappings,
            existing_policy=existing_policy,
            target_cluster_id=target_cluster_id,
        )

        restore_request.additional_properties = d
        return restore_request

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
