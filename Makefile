# Two commands do all the set-up on a fresh machine with Python 3.11 and make:
#   make book   -> builds the HTML book into _build/html (profile: BOOK_PROFILE, default full)
#   make test   -> unit tests of lib/ and every notebook through nbval (quick profile)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BOOK_PROFILE ?= full
export BOOK_PROFILE

.PHONY: book test clean venv

venv: $(BIN)/.installed

$(BIN)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

book: venv
	$(BIN)/jupyter-book build -W -n --keep-going .
	@echo "Book written to $(CURDIR)/_build/html/index.html"

test: venv
	BOOK_PROFILE=quick $(BIN)/pytest

clean:
	$(BIN)/jupyter-book clean --all . || rm -rf _build
