from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="AuditLogView")


@_attrs_define
class AuditLogView:
    """One audited action.

    Attributes:
        id (str):
        action (str): e.g. `CREATE_CLUSTER`, `LOGIN`.
        resource_type (str):
        result (str): `success` or `failure`.
        status_code (int): HTTP status of the audited request.
        timestamp (datetime.datetime):
        source (str): `api`: recorded by Taichu from the request it served; `client`: a
            client's own entry (`POST /audit`), under the client's name;
            `system`: Taichu's own action (throttling, retention).
        user_id (str | Unset):
        username (str | Unset):
        resource_id (str | Unset):
        cluster_id (str | Unset):
        details (str | Unset):
        client_addr (str | Unset):
        user_agent (str | Unset):
    """

    id: str
    action: str
    resource_type: str
    result: str
    status_code: int
    timestamp: datetime.datetime
    source: str
    user_id: str | Unset = UNSET
    username: str | Unset = UNSET
    resource_id: str | Unset = UNSET
    cluster_id: str | Unset = UNSET
    details: str | Unset = UNSET
    client_addr: str | Unset = UNSET
    user_agent: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        action = self.action

        resource_type = self.resource_type

        result = self.result

        status_code = self.status_code

        timestamp = self.timestamp.isoformat()

        source = self.source

        user_id = self.user_id

        username = self.username

        resource_id = self.resource_id

        cluster_id = self.cluster_id

        details = self.details

        client_addr = self.client_addr

        user_agent = self.user_agent

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "action": action,
                "resource_type": resource_type,
                "result": result,
                "status_code": status_code,
                "timestamp": timestamp,
                "source": source,
            }
        )
        if user_id is not UNSET:
            field_dict["user_id"] = user_id
        if username is not UNSET:
            field_dict["username"] = username
        if resource_id is not UNSET:
            field_dict["resource_id"] = resource_id
        if cluster_id is not UNSET:
            field_dict["cluster_id"] = cluster_id
        if details is not UNSET:
            field_dict["details"] = details
        if client_addr is not UNSET:
            field_dict["client_addr"] = client_addr
        if user_agent is not UNSET:
            field_dict["user_agent"] = user_agent

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        action = d.pop("action")

        resource_type = d.pop("resource_type")

        result = d.pop("result")

        status_code = d.pop("status_code")

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        source = d.pop("source")

        user_id = d.pop("user_id", UNSET)

        username = d.pop("username", UNSET)

        resource_id = d.pop("resource_id", UNSET)

        cluster_id = d.pop("cluster_id", UNSET)

        details = d.pop("details", UNSET)

        client_addr = d.pop("client_addr", UNSET)

        user_agent = d.pop("user_agent", UNSET)

        audit_log_view = cls(
            id=id,
            action=action,
            resource_type=resource_type,
            result=result,
            status_code=status_code,
            timestamp=timestamp,
            source=source,
            user_id=user_id,
            username=username,
            resource_id=resource_id,
            cluster_id=cluster_id,
            details=details,
            client_addr=client_addr,
            user_agent=user_agent,
        )

        audit_log_view.additional_properties = d
        return audit_log_view

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
