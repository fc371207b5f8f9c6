"""Headless Chromium for the browser tests: Debian's chromium and chromedriver, never downloaded."""

from __future__ import annotations

import shutil

import pytest

from tools.servers import ensure_packages


@pytest.fixture(scope="session")
def browser():
    ensure_packages("chromium")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
        "--lang=zh-CN",
    ):
        options.add_argument(argument)
    # Chinese first, as at a Chengdu window (headless Chromium otherwise asks for English).
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    # An explicit driver path: Selenium Manager is never asked to download anything.
    driver = webdriver.Chrome(
        service=Service(executable_path=shutil.which("chromedriver")), options=options
    )
    driver.implicitly_wait(5)
    yield driver
    driver.quit()
