from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="EventView")


@_attrs_define
class EventView:
    """
    Attributes:
        id (str):
        type_ (str):
        count (int):
        reason (str | Unset):
        message (str | Unset):
        namespace (str | Unset):
        object_ (str | Unset): `Kind/name` of the object the event is about.
        first_timestamp (datetime.datetime | Unset):
        last_timestamp (datetime.datetime | Unset):
    """

    id: str
    type_: str
    count: int
    reason: str | Unset = UNSET
    message: str | Unset = UNSET
    namespace: str | Unset = UNSET
    object_: str | Unset = UNSET
    first_timestamp: datetime.datetime | Unset = UNSET
    last_timestamp: datetime.datetime | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        type_ = self.type_

        count = self.count

        reason = self.reason

        message = self.message

        namespace = self.namespace

        object_ = self.object_

        first_timestamp: str | Unset = UNSET
        if not isinstance(self.first_timestamp, Unset):
            first_timestamp = self.first_timestamp.isoformat()

        last_timestamp: str | Unset = UNSET
        if not isinstance(self.last_timestamp, Unset):
            last_timestamp = self.last_timestamp.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "type": type_,
                "count": count,
            }
        )
        if reason is not UNSET:
            field_dict["reason"] = reason
        if message is not UNSET:
            field_dict["message"] = message
        if namespace is not UNSET:
            field_dict["namespace"] = namespace
        if object_ is not UNSET:
            field_dict["object"] = object_
        if first_timestamp is not UNSET:
            field_dict["first_timestamp"] = first_timestamp
        if last_timestamp is not UNSET:
            field_dict["last_timestamp"] = last_timestamp

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        type_ = d.pop("type")

        count = d.pop("count")

        reason = d.pop("reason", UNSET)

        message = d.pop("message", UNSET)

        namespace = d.pop("namespace", UNSET)

        object_ = d.pop("object", UNSET)

        _first_timestamp = d.pop("first_timestamp", UNSET)
        first_timestamp: datetime.datetime | Unset
        if isinstance(_first_timestamp, Unset):
            first_timestamp = UNSET
        else:
            first_timestamp = datetime.datetime.fromisoformat(_first_timestamp)

        _last_timestamp = d.pop("last_timestamp", UNSET)
        last_timestamp: datetime.datetime | Unset
        if isinstance(_last_timestamp, Unset):
            last_timestamp = UNSET
        else:
            last_timestamp = datetime.datetime.fromisoformat(_last_timestamp)

        event_view = cls(
            id=id,
            type_=type_,
            count=count,
            reason=reason,
            message=message,
            namespace=namespace,
            object_=object_,
            first_timestamp=first_timestamp,
            last_timestamp=last_timestamp,
        )

        event_view.additional_properties = d
        return event_view

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
