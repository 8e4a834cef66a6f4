from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.etcd_member_body import EtcdMemberBody


T = TypeVar("T", bound="CreateBackupRequest")


@_attrs_define
class CreateBackupRequest:
    """Start a backup. etcd settings may come inline (the seed's fields);
    otherwise the cluster's stored ones are used. Resources need none.

        Attributes:
            backup_name (str): 1-128 characters of A-Z, a-z, 0-9, `_`, `.`, `-`.
            backup_type (str | Unset): `etcd`, `resources` or `full` (both). Default: the route's type (`etcd` on
                `/backups`).
            retention_days (int | Unset): 1-3650; default 30.
            etcd_endpoints (str | Unset): Comma-separated client URLs, e.g. `https://10.0.0.1:2379,https://10.0.0.2:2379`.
            etcd_ca_cert (str | Unset):
            etcd_cert (str | Unset):
            etcd_key (str | Unset):
            etcd_data_dir (str | Unset): Default `/var/lib/etcd`.
            etcdctl_path (str | Unset): Default `/usr/local/bin/etcdctl`.
            etcdutl_path (str | Unset): Default: `etcdutl` beside etcdctl; without it, `etcdctl snapshot restore` (etcd
                3.4).
            ssh_username (str | Unset):
            ssh_password (str | Unset): Sealed at rest, never returned. On PUT: absent keeps the stored one, `""` clears it.
            ssh_port (int | Unset): Default 22.
            etcd_deployment_type (str | Unset): `standalone` (systemd, the default) or `kubeadm` (static pod).
            k8s_deployment_type (str | Unset): `kubeadm` (static pod, the default), `binary` (systemd) or `none`.
            manifests_dir (str | Unset): Default `/etc/kubernetes/manifests`.
            machine_ids (list[str] | Unset): Stored machines to log in with (their own credentials), instead of a password.
            members (list[EtcdMemberBody] | Unset): The members; when absent, a restore asks `etcdctl member list`.
            include_namespaces (list[str] | Unset): Only these namespaces (cluster-scoped kinds then only when named in
                `include_kinds`).
            exclude_namespaces (list[str] | Unset):
            include_kinds (list[str] | Unset): Only these kinds.
            exclude_kinds (list[str] | Unset):
            label_selector (str | Unset): A Kubernetes label selector, e.g. `app=web,tier!=db`.
    """

    backup_name: str
    backup_type: str | Unset = UNSET
    retention_days: int | Unset = UNSET
    etcd_endpoints: str | Unset = UNSET
    etcd_ca_cert: str | Unset = UNSET
    etcd_cert: str | Unset = UNSET
    etcd_key: str | Unset = UNSET
    etcd_data_dir: str | Unset = UNSET
    etcdctl_path: str | Unset = UNSET
    etcdutl_path: str | Unset = UNSET
    ssh_username: str | Unset = UNSET
    ssh_password: str | Unset = UNSET
    ssh_port: int | Unset = UNSET
    etcd_deployment_type: str | Unset = UNSET
    k8s_deployment_type: str | Unset = UNSET
    manifests_dir: str | Unset = UNSET
    machine_ids: list[str] | Unset = UNSET
    members: list[EtcdMemberBody] | Unset = UNSET
    include_namespaces: list[str] | Unset = UNSET
    exclude_namespaces: list[str] | Unset = UNSET
    include_kinds: list[str] | Unset = UNSET
    exclude_kinds: list[str] | Unset = UNSET
    label_selector: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        backup_name = self.backup_name

        backup_type = self.backup_type

        retention_days = self.retention_days

        etcd_endpoints = self.etcd_endpoints

        etcd_ca_cert = self.etcd_ca_cert

        etcd_cert = self.etcd_cert

        etcd_key = self.etcd_key

        etcd_data_dir = self.etcd_data_dir

        etcdctl_path = self.etcdctl_path

        etcdutl_path = self.etcdutl_path

        ssh_username = self.ssh_username

        ssh_password = self.ssh_password

        ssh_port = self.ssh_port

        etcd_deployment_type = self.etcd_deployment_type

        k8s_deployment_type = self.k8s_deployment_type

        manifests_dir = self.manifests_dir

        machine_ids: list[str] | Unset = UNSET
        if not isinstance(self.machine_ids, Unset):
            machine_ids = self.machine_ids

        members: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.members, Unset):
            members = []
            for members_item_data in self.members:
                members_item = members_item_data.to_dict()
                members.append(members_item)

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

        label_selector = self.label_selector

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "backup_name": backup_name,
            }
        )
        if backup_type is not UNSET:
            field_dict["backup_type"] = backup_type
        if retention_days is not UNSET:
            field_dict["retention_days"] = retention_days
        if etcd_endpoints is not UNSET:
            field_dict["etcd_endpoints"] = etcd_endpoints
        if etcd_ca_cert is not UNSET:
            field_dict["etcd_ca_cert"] = etcd_ca_cert
        if etcd_cert is not UNSET:
            field_dict["etcd_cert"] = etcd_cert
        if etcd_key is not UNSET:
            field_dict["etcd_key"] = etcd_key
        if etcd_data_dir is not UNSET:
            field_dict["etcd_data_dir"] = etcd_data_dir
        if etcdctl_path is not UNSET:
            field_dict["etcdctl_path"] = etcdctl_path
        if etcdutl_path is not UNSET:
            field_dict["etcdutl_path"] = etcdutl_path
        if ssh_username is not UNSET:
            field_dict["ssh_username"] = ssh_username
        if ssh_password is not UNSET:
            field_dict["ssh_password"] = ssh_password
        if ssh_port is not UNSET:
            field_dict["ssh_port"] = ssh_port
        if etcd_deployment_type is not UNSET:
            field_dict["etcd_deployment_type"] = etcd_deployment_type
        if k8s_deployment_type is not UNSET:
            field_dict["k8s_deployment_type"] = k8s_deployment_type
        if manifests_dir is not UNSET:
            field_dict["manifests_dir"] = manifests_dir
        if machine_ids is not UNSET:
            field_dict["machine_ids"] = machine_ids
        if members is not UNSET:
            field_dict["members"] = members
        if include_namespaces is not UNSET:
            field_dict["include_namespaces"] = include_namespaces
        if exclude_namespaces is not UNSET:
            field_dict["exclude_namespaces"] = exclude_namespaces
        if include_kinds is not UNSET:
            field_dict["include_kinds"] = include_kinds
        if exclude_kinds is not UNSET:
            field_dict["exclude_kinds"] = exclude_kinds
        if label_selector is not UNSET:
            field_dict["label_selector"] = label_selector

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.etcd_member_body import EtcdMemberBody  # noqa: PLC0415

        d = dict(src_dict)
        backup_name = d.pop("backup_name")

        backup_type = d.pop("backup_type", UNSET)

        retention_days = d.pop("retention_days", UNSET)

        etcd_endpoints = d.pop("etcd_endpoints", UNSET)

        etcd_ca_cert = d.pop("etcd_ca_cert", UNSET)

        etcd_cert = d.pop("etcd_cert", UNSET)

        etcd_key = d.pop("etcd_key", UNSET)

        etcd_data_dir = d.pop("etcd_data_dir", UNSET)

        etcdctl_path = d.pop("etcdctl_path", UNSET)

        etcdutl_path = d.pop("etcdutl_path", UNSET)

        ssh_username = d.pop("ssh_username", UNSET)

        ssh_password = d.pop("ssh_password", UNSET)

        ssh_port = d.pop("ssh_port", UNSET)

        etcd_deployment_type = d.pop("etcd_deployment_type", UNSET)

        k8s_deployment_type = d.pop("k8s_deployment_type", UNSET)

        manifests_dir = d.pop("manifests_dir", UNSET)

        machine_ids = cast(list[str], d.pop("machine_ids", UNSET))

        _members = d.pop("members", UNSET)
        members: list[EtcdMemberBody] | Unset = UNSET
        if _members is not UNSET:
            members = []
            for members_item_data in _members:
                members_item = EtcdMemberBody.from_dict(members_item_data)

                members.append(members_item)

        include_namespaces = cast(list[str], d.pop("include_namespaces", UNSET))

        exclude_namespaces = cast(list[str], d.pop("exclude_namespaces", UNSET))

        include_kinds = cast(list[str], d.pop("include_kinds", UNSET))

        exclude_kinds = cast(list[str], d.pop("exclude_kinds", UNSET))

        label_selector = d.pop("label_selector", UNSET)

        create_backup_request = cls(
            backup_name=backup_name,
            backup_type=backup_type,
            retention_days=retention_days,
            etcd_endpoints=etcd_endpoints,
            etcd_ca_cert=etcd_ca_cert,
            etcd_cert=etcd_cert,
            etcd_key=etcd_key,
            etcd_data_dir=etcd_data_dir,
            etcdctl_path=etcdctl_path,
            etcdutl_path=etcdutl_path,
            ssh_username=ssh_username,
            ssh_password=ssh_password,
            ssh_port=ssh_port,
            etcd_deployment_type=etcd_deployment_type,
            k8s_deployment_type=k8s_deployment_type,
            manifests_dir=manifests_dir,
            machine_ids=machine_ids,
            members=members,
            include_namespaces=include_namespaces,
            exclude_namespaces=exclude_namespaces,
            include_kinds=include_kinds,
            exclude_kinds=exclude_kinds,
            label_selector=label_selector,
        )

        create_backup_request.additional_properties = d
        return create_backup_request

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
