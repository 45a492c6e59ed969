from tests.test_app_pages import *  # noqa
def test_dbg(world):
    at = page_as("admin", "pages/admin.py")
    form_inputs = [t for t in at.text_input if t.form_id == "adm_add_user"]
    print([ (t.label, t.form_id) for t in at.text_input])
    form_inputs[0].input("x@example.org")
    form_inputs[1].input("short")
    form_inputs[2].input("short")
    next(b for b in at.button if b.label == "Add user").click().run()
    print([e.value for e in at.error], texts(at))
    assert 0
