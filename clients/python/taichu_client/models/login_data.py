from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.token_user import TokenUser


T = TypeVar("T", bound="LoginData")


@_attrs_define
class LoginData:
    """A new access token and its refresh token.

    Attributes:
        token (str): HS256 JWT for `Authorization: Bearer`.
        refresh_token (str): Opaque; single use; exchange at `POST /auth/refresh`.
        token_type (str): Always `Bearer`.
        expires_in (int): Seconds until `token` expires.
        user (TokenUser): Who the tokens belong to.
    """

    token: str
    refresh_token: str
    token_type: str
    expires_in: int
    user: TokenUser
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        token = self.token

        refresh_token = self.refresh_token

        token_type = self.token_type

        expires_in = self.expires_in

        user = self.user.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "token": token,
                "refresh_token": refresh_token,
                "token_type": token_type,
                "expires_in": expires_in,
                "user": user,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.token_user import TokenUser  # noqa: PLC0415

        d = dict(src_dict)
        token = d.pop("token")

        refresh_token = d.pop("refresh_token")

        token_type = d.pop("token_type")

        expires_in = d.pop("expires_in")

        user = TokenUser.from_dict(d.pop("user"))

        login_data = cls(
            token=token,
            refresh_token=refresh_token,
            token_type=token_type,
            expires_in=expires_in,
            user=user,
        )

        login_data.additional_properties = d
        return login_data

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
