# The two commands: `make run` serves the app, `make test` runs the whole suite.
# Both set up what they need: the virtual environment, the requirements and the
# compiled translations, and Debian's CJK fonts of the PDF copies (scripts/install-fonts.sh);
# `make test` also installs Debian's chromium for the browser tests when it is missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The suite runs on every core (pytest-xdist), a test module per worker: a module's
# cached worlds are built once.
PYTEST_ARGS ?= -n auto --dist loadfile
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)

.PHONY: run test setup translations browser fonts lint bench clean

run: setup fonts
	$(BIN)/python run.py

test: setup browser fonts
	$(BIN)/python -m pytest $(PYTEST_ARGS)

setup: $(STAMP) translations

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements-dev.txt 2>&1 | grep -v "is ignored: it is neither" || true
	$(BIN)/python -c "import flask_appbuilder, playwright, hypothesis, xdist"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel compile -f -d translations -D messages

browser:
	@command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "noto.*cjk" || scripts/install-browser.sh

# The fonts and Pango of the PDF copies (app/services/pdf.py); quick when present.
fonts:
	@scripts/install-fonts.sh

lint: setup
	$(BIN)/python -m ruff check . || true

bench: setup
	$(BIN)/python bench/channels_list.py

clean:
	rm -rf $(VENV) instance .pytest_cache test-output
