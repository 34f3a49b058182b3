"""``QuickSelect`` (drawn in Python) gives a browser the same control as Django's
template-drawn ``forms.Select``: attributes, options, groups, labels escaped, and which
option is selected."""

from html.parser import HTMLParser

from django import forms
from hypothesis import given, settings
from hypothesis import strategies as st

from yiri.web.widgets import QuickSelect


class Control(HTMLParser):
    """What a browser builds: the select's attributes and its options in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.attrs: dict = {}
        self.options: list = []
        self.group = None
        self._open = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self.attrs = attrs
        elif tag == "optgroup":
            self.group = attrs.get("label")
        elif tag == "option":
            self._open = [self.group, attrs.get("value"), "selected" in attrs, ""]

    def handle_endtag(self, tag):
        if tag == "option" and self._open is not None:
            self._open[3] = self._open[3].strip()
            self.options.append(tuple(self._open))
            self._open = None
        elif tag == "optgroup":
            self.group = None

    def handle_data(self, data):
        if self._open is not None:
            self._open[3] += data


def read(html: str) -> Control:
    control = Control()
    control.feed(str(html))
    return control


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
flat = st.lists(st.tuples(texts, texts), max_size=6)
grouped = st.lists(st.one_of(st.tuples(texts, texts),
                             st.tuples(texts, st.lists(st.tuples(texts, texts), min_size=1, max_size=3))),
                   max_size=5)


@settings(max_examples=60, deadline=None)
@given(choices=st.one_of(flat, grouped), value=st.one_of(st.none(), texts),
       attrs=st.dictionaries(st.sampled_from(["id", "class", "aria-describedby", "hx-get"]), texts,
                             max_size=3))
def test_a_browser_reads_the_same_control_from_both(choices, value, attrs):
    def draw(widget):
        widget.choices = choices
        return read(widget.render("champ", value, attrs=attrs))

    quick, django = draw(QuickSelect()), draw(forms.Select())
    assert quick.attrs == django.attrs
    assert quick.options == django.options


def test_the_case_list_filters_use_it():
    from yiri.web.listing import CaseFilterForm

    selects = [f for f in CaseFilterForm.base_fields.values() if isinstance(f, forms.ChoiceField)]
    assert selects and all(isinstance(f.widget, QuickSelect) for f in selects)
