"""Login with clear messages on a wrong password and on lockout; language choice. An
account that needs a second factor goes on to it (``web/views/two_factor.py``)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from yiri.accounts import reauth, throttle, two_factor

INVALID_LOGIN = throttle.INVALID_LOGIN


class LoginForm(AuthenticationForm):
    # One message for every refusal — wrong password, unknown name, a wait running, a
    # disabled account — so a stranger learns nothing about which names exist.
    error_messages = {
        "invalid_login": INVALID_LOGIN,
        "inactive": INVALID_LOGIN,
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Nom d'utilisateur")
        self.fields["password"].label = _("Mot de passe")


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # The interface follows the language chosen in the user's profile from now on.
        from django.conf import settings

        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, form.get_user().language or "fr",
                            samesite="Lax", secure=settings.LANGUAGE_COOKIE_SECURE,
                            httponly=settings.LANGUAGE_COOKIE_HTTPONLY)
        user = form.get_user()
        if two_factor.required_for(user):
            # Half signed in: the code (or enrolment) first; then where the person was going.
            self.request.session[two_factor.NEXT_KEY] = self.get_success_url()
            target = "two_factor" if two_factor.device_of(user) else "two_factor_setup"
            response["Location"] = reverse(target)
            return response
        # This browser becomes a trusted device: a stranger making the account wait does
        # not keep its user out of it (accounts/throttle.py). With a second factor, only
        # once the code is given (web/views/two_factor.py).
        throttle.remember_device(response, user, self.request)
        reauth.mark(self.request)  # a sign-in just made is a recent confirmation of identity
        return response


logout_view = auth_views.LogoutView.as_view()


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, remembered on the profile of a signed-in user."""
    response = django_set_language(request)
    lang = request.POST.get("language")
    user = request.user
    if user.is_authenticated and lang in ("fr", "en") and user.language != lang:
        user.language = lang
        user.save(update_fields=["language"])
    return response
