"""Multipart forms whose text fields must be valid UTF-8 (probe intake).

Starlette decodes a multipart text field that is not valid UTF-8 as latin-1, silently. This
parser turns such bytes into U+FFFD, which the field types of `frsgate.api.fields` refuse
with a 422 naming the field. It leans on Starlette's multipart parser and `Request._get_form`;
`tests/functional/test_text_fields.py` fails if a Starlette upgrade changes them.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from contextlib import aclosing
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData
from starlette.formparsers import MultiPartException, MultiPartParser


class _Utf8MultiPartParser(MultiPartParser):
    """Starlette's multipart parser, except for a text field that is not valid UTF-8.

    Starlette decodes such a field as latin-1, which hands the route mojibake that cannot be
    told from real text afterwards. Here its bad bytes become U+FFFD instead, which the field's
    type (`FormText`) refuses with a 422 naming the field. A field whose request declares
    another charset is left to Starlette.
    """

    def on_part_end(self) -> None:
        part = self._current_part
        if part.file is None and self._charset == "utf-8":
            try:
                part.data.decode("utf-8")
            except UnicodeDecodeError:
                part.data = bytearray(part.data.decode("utf-8", "replace").encode("utf-8"))
        super().on_part_end()


class _Utf8FormRequest(Request):
    """A request whose multipart form is parsed by `_Utf8MultiPartParser`."""

    async def _get_form(
        self,
        *,
        max_files: int | float = 1000,
        max_fields: int | float = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> FormData:
        content_type, _ = parse_options_header(self.headers.get("Content-Type"))
        if self._form is None and content_type == b"multipart/form-data":
            # As Starlette's own Request._get_form, with the parser above.
            try:
                async with aclosing(self.stream()) as stream:
                    parser = _Utf8MultiPartParser(
                        self.headers,
                        stream,
                        max_files=max_files,
                        max_fields=max_fields,
                        max_part_size=max_part_size,
                    )
                    self._form = await parser.parse()
            except MultiPartException as exc:
                raise HTTPException(status_code=400, detail=exc.message) from exc
        return await super()._get_form(
            max_files=max_files, max_fields=max_fields, max_part_size=max_part_size
        )


class Utf8FormRoute(APIRoute):
    """A route that hands its handler a `_Utf8FormRequest`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def utf8_form_handler(request: Request) -> Response:
            return await handler(_Utf8FormRequest(request.scope, request.receive))

        return utf8_form_handler
