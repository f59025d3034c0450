"""URLs of the person's pages, mounted at ``/status/`` with namespace ``status``.

For the browser tests and integrators (names are stable):

| URL name               | Path                        | Method   | Form fields (``name`` = ``id`` without ``id_``)       |
|------------------------|-----------------------------|----------|-------------------------------------------------------|
| ``status:page``        | ``/status/``                | GET      | (sign-in required; else redirect to ``status:sign-in``) |
| ``status:sign-in``     | ``/status/sign-in/``        | GET      | links: ``#oidc-sign-in`` (OIDC), ``#demo-sign-in`` (demo) |
| ``status:sign-out``    | ``/status/sign-out/``       | POST     | button ``#sign-out``                                   |
| ``status:demo``        | ``/status/demo/``           | GET/POST | ``personal_code`` (text); or buttons ``name="personal_code"`` per listed person (``#demo-person-<n>``); 404 unless demo mode |
| ``status:oidc-start``  | ``/status/oidc/start/``     | GET      | 404 unless OIDC configured                             |
| ``status:oidc-callback`` | ``/status/oidc/callback/`` | GET      | the state portal returns here                          |
| ``status:contract``    | ``/status/contract/``       | POST     | ``contract`` (radio: ``<trader_id>:<contract_no>`` or ``automatic``), button ``#choose-contract`` |
| ``status:refuse``      | ``/status/refuse/``         | POST     | button ``#refuse-service``                             |
| ``status:refuse-undo`` | ``/status/refuse/undo/``    | POST     | button ``#undo-refusal``                               |
| ``status:contest``     | ``/status/contest/``        | POST     | ``month`` (select ``YYYY-MM``), ``item`` (select), ``text`` (textarea), button ``#send-contest`` |

Languages: ``/i18n/setlang/`` (Django's ``set_language``, form field ``language`` = ``lv``/``en``,
button ``#set-language``). Messages after an action appear in ``#messages``.
"""

from django.urls import path

from households.auth import PersonOIDCCallbackView, PersonOIDCRequestView
from households.web import views

app_name = "status"

urlpatterns = [
    path("", views.status_page, name="page"),
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("demo/", views.demo_sign_in, name="demo"),
    path("oidc/start/", PersonOIDCRequestView.as_view(), name="oidc-start"),
    path("oidc/callback/", PersonOIDCCallbackView.as_view(), name="oidc-callback"),
    path("contract/", views.choose_contract, name="contract"),
    path("refuse/", views.refuse_service, name="refuse"),
    path("refuse/undo/", views.undo_refusal, name="refuse-undo"),
    path("contest/", views.contest_month, name="contest"),
]
