"""What every API view shares: how it authenticates, parses and describes its errors."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from yiri.accounts import tokens

from .serializers import DetailSerializer, ErrorSerializer


class HashedTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>`` against the hashes of ``accounts/tokens.py``. Tokens
    expire (``YIRI_API_TOKEN_HOURS``) so one left on a shared PC or a lost phone dies."""

    def authenticate_credentials(self, key):
        token = tokens.find(key)
        if token is None:
            raise AuthenticationFailed(_("Jeton inconnu ou retiré : demandez-en un nouveau."))
        if token.expires <= timezone.now():
            token.delete()
            raise AuthenticationFailed(_("Jeton expiré : demandez-en un nouveau."))
        if not token.user.is_active:
            raise AuthenticationFailed(_("Ce compte est désactivé."))
        return token.user, token


AUTHENTICATION = [HashedTokenAuthentication, SessionAuthentication]


def parse(serializer_class: type[serializers.Serializer], data: Any) -> dict:
    """Validated request data, or a 400 with the messages per field."""
    s = serializer_class(data=data)
    s.is_valid(raise_exception=True)
    return s.validated_data


_DESCRIBED = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid request: messages per field."),
    403: OpenApiResponse(DetailSerializer, description="Your role does not allow this."),
    404: OpenApiResponse(DetailSerializer, description="No such record, or not visible to you."),
    409: OpenApiResponse(DetailSerializer, description="Changed by someone else meanwhile."),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """OpenAPI descriptions of the error responses ``codes``."""
    return {code: _DESCRIBED[code] for code in codes}
