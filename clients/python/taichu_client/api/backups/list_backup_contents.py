from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.envelope_contents_view import EnvelopeContentsView
from ...models.error_envelope import ErrorEnvelope
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: str,
    backup_id: str,
    *,
    kind: str | Unset = UNSET,
    namespace: str | Unset = UNSET,
    limit: int | Unset = UNSET,
) -> dict[str, Any]:
    params: dict[str, Any] = {}

    params["kind"] = kind

    params["namespace"] = namespace

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/clusters/{id}/backups/{backup_id}/contents".format(
            id=quote(str(id), safe=""),
            backup_id=quote(str(backup_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> EnvelopeContentsView | ErrorEnvelope | None:
    if response.status_code == 200:
        response_200 = EnvelopeContentsView.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorEnvelope.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorEnvelope.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorEnvelope.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorEnvelope.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = ErrorEnvelope.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = ErrorEnvelope.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = ErrorEnvelope.from_dict(response.json())

        return response_415

    if response.status_code == 429:
        response_429 = ErrorEnvelope.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = ErrorEnvelope.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = ErrorEnvelope.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[EnvelopeContentsView | ErrorEnvelope]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    backup_id: str,
    *,
    client: AuthenticatedClient,
    kind: str | Unset = UNSET,
    namespace: str | Unset = UNSET,
    limit: int | Unset = UNSET,
) -> Response[EnvelopeContentsView | ErrorEnvelope]:
    """What a resources backup holds: kinds with counts; with `kind` and/or
    `namespace`, the matching objects' names (read from the archive,
    names only), at most `limit` (1-10000, default 1000).

    Args:
        id (str):
        backup_id (str):
        kind (str | Unset):
        namespace (str | Unset):
        limit (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EnvelopeContentsView | ErrorEnvelope]
    """

    kwargs = _get_kwargs(
        id=id,
        backup_id=backup_id,
        kind=kind,
        namespace=namespace,
        limit=limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    backup_id: str,
    *,
    client: AuthenticatedClient,
    kind: str | Unset = UNSET,
    namespace: str | Unset = UNSET,
    limit: int | Unset = UNSET,
) -> EnvelopeContentsView | ErrorEnvelope | None:
    """What a resources backup holds: kinds with counts; with `kind` and/or
    `namespace`, the matching objects' names (read from the archive,
    names only), at most `limit` (1-10000, default 1000).

    Args:
        id (str):
        backup_id (str):
        kind (str | Unset):
        namespace (str | Unset):
        limit (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EnvelopeContentsView | ErrorEnvelope
    """

    return sync_detailed(
        id=id,
        backup_id=backup_id,
        client=client,
        kind=kind,
        namespace=namespace,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    id: str,
    backup_id: str,
    *,
    client: AuthenticatedClient,
    kind: str | Unset = UNSET,
    namespace: str | Unset = UNSET,
    limit: int | Unset = UNSET,
) -> Response[EnvelopeContentsView | ErrorEnvelope]:
    """What a resources backup holds: kinds with counts; with `kind` and/or
    `namespace`, the matching objects' names (read from the archive,
    names only), at most `limit` (1-10000, default 1000).

    Args:
        id (str):
        backup_id (str):
        kind (str | Unset):
        namespace (str | Unset):
        limit (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EnvelopeContentsView | ErrorEnvelope]
    """

    kwargs = _get_kwargs(
        id=id,
        backup_id=backup_id,
        kind=kind,
        namespace=namespace,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    backup_id: str,
    *,
    client: AuthenticatedClient,
    kind: str | Unset = UNSET,
    namespace: str | Unset = UNSET,
    limit: int | Unset = UNSET,
) -> EnvelopeContentsView | ErrorEnvelope | None:
    """What a resources backup holds: kinds with counts; with `kind` and/or
    `namespace`, the matching objects' names (read from the archive,
    names only), at most `limit` (1-10000, default 1000).

    Args:
        id (str):
        backup_id (str):
        kind (str | Unset):
        namespace (str | Unset):
        limit (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EnvelopeContentsView | ErrorEnvelope
    """

    return (
        await asyncio_detailed(
            id=id,
            backup_id=backup_id,
            client=client,
            kind=kind,
            namespace=namespace,
            limit=limit,
        )
    ).parsed
