from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.envelope_schedule_view import EnvelopeScheduleView
from ...models.error_envelope import ErrorEnvelope
from ...models.schedule_body import ScheduleBody
from ...types import Response


def _get_kwargs(
    id: str,
    schedule_id: str,
    *,
    body: ScheduleBody,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/clusters/{id}/backup-schedules/{schedule_id}".format(
            id=quote(str(id), safe=""),
            schedule_id=quote(str(schedule_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json; charset=utf-8"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> EnvelopeScheduleView | ErrorEnvelope | None:
    if response.status_code == 200:
        response_200 = EnvelopeScheduleView.from_dict(response.json())

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
) -> Response[EnvelopeScheduleView | ErrorEnvelope]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    schedule_id: str,
    *,
    client: AuthenticatedClient,
    body: ScheduleBody,
) -> Response[EnvelopeScheduleView | ErrorEnvelope]:
    """Change a schedule (the cluster's owner or an admin): only the fields
    given; `next_run_at` is computed again; disabled, it fires no more.

    Args:
        id (str):
        schedule_id (str):
        body (ScheduleBody): A schedule as created or changed. On update every field is optional
            and
            only those given change; etcd settings are replaced when `etcd_endpoints`
            is given.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EnvelopeScheduleView | ErrorEnvelope]
    """

    kwargs = _get_kwargs(
        id=id,
        schedule_id=schedule_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    schedule_id: str,
    *,
    client: AuthenticatedClient,
    body: ScheduleBody,
) -> EnvelopeScheduleView | ErrorEnvelope | None:
    """Change a schedule (the cluster's owner or an admin): only the fields
    given; `next_run_at` is computed again; disabled, it fires no more.

    Args:
        id (str):
        schedule_id (str):
        body (ScheduleBody): A schedule as created or changed. On update every field is optional
            and
            only those given change; etcd settings are replaced when `etcd_endpoints`
            is given.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EnvelopeScheduleView | ErrorEnvelope
    """

    return sync_detailed(
        id=id,
        schedule_id=schedule_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    id: str,
    schedule_id: str,
    *,
    client: AuthenticatedClient,
    body: ScheduleBody,
) -> Response[EnvelopeScheduleView | ErrorEnvelope]:
    """Change a schedule (the cluster's owner or an admin): only the fields
    given; `next_run_at` is computed again; disabled, it fires no more.

    Args:
        id (str):
        schedule_id (str):
        body (ScheduleBody): A schedule as created or changed. On update every field is optional
            and
            only those given change; etcd settings are replaced when `etcd_endpoints`
            is given.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EnvelopeScheduleView | ErrorEnvelope]
    """

    kwargs = _get_kwargs(
        id=id,
        schedule_id=schedule_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    schedule_id: str,
    *,
    client: AuthenticatedClient,
    body: ScheduleBody,
) -> EnvelopeScheduleView | ErrorEnvelope | None:
    """Change a schedule (the cluster's owner or an admin): only the fields
    given; `next_run_at` is computed again; disabled, it fires no more.

    Args:
        id (str):
        schedule_id (str):
        body (ScheduleBody): A schedule as created or changed. On update every field is optional
            and
            only those given change; etcd settings are replaced when `etcd_endpoints`
            is given.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EnvelopeScheduleView | ErrorEnvelope
    """

    return (
        await asyncio_detailed(
            id=id,
            schedule_id=schedule_id,
            client=client,
            body=body,
        )
    ).parsed
