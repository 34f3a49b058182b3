import pytest
from tests.dashboards.data import network_of_cases
from tests.web.helpers import client_for
def test_smoke(cast):
    cases = network_of_cases(cast)
    from yiri.cases.models import Case
    print(Case.objects.values_list("status","workflow_stage","sex","risk_level","concerns","location_path", "date_of_birth")[:50])
    for u in (cast.coordinator, cast.relay, cast.partner, cast.manager):
        c = client_for(u)
        for url in ("/dashboard/", "/indicators/", "/indicators/indicators.csv", "/indicators/indicators.xlsx"):
            r = c.get(url)
            print(u.username, url, r.status_code, len(r.content))
    r = client_for(cast.coordinator).get("/dashboard/")
    open("/tmp/dash.html","wb").write(r.content)
    r = client_for(cast.partner).get("/indicators/indicators.csv")
    open("/tmp/ind.csv","wb").write(r.content)
