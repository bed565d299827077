"""JupyterLab itself, with the nbgrader extension, loads offline."""


def test_lab_loads_with_the_nbgrader_menu_and_stays_local(lab_page):
    lab_page.open("README.md")
    menus = lab_page.page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
    lab_page.screenshot("loaded")
    assert "Nbgrader" in menus
    assert lab_page.outside_requests == []
