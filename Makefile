# Two commands do all the set-up on a fresh machine with Python 3.11 and make:
#   make book   -> builds the HTML book into _build/html (profile: BOOK_PROFILE, default full)
#   make test   -> unit tests of lib/ and every notebook through nbval (quick profile)
# and three more publish it:
#   make pdf            -> the whole book as one PDF, _build/pdf/book.pdf (needs Chromium)
#   make publish-html   -> pushes _build/html to the gh-pages branch of PUBLISH_REMOTE (default: origin),
#                          the manual way for a fork without GitHub Actions (.github/workflows/book.yml
#                          publishes the full-profile book on GitHub Pages otherwise)
# and one keeps the environment:
#   make lock           -> regenerates requirements-lock.txt in a fresh venv (see book/use/running.md)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BOOK_PROFILE ?= full
export BOOK_PROFILE
# Processes that compute the experiments before the pages run (one per core): the pages then read the
# results cache, and a page's own work (figures, small checks) is all that runs one page at a time.
JOBS ?= $(shell $(PYTHON) -c "import os; print(os.cpu_count() or 1)")

# Where pip may also look for torch. `auto` (the default): the PyTorch CPU index when the machine has
# no NVIDIA GPU (no nvidia-smi) and the index answers within 5 s, so a CPU machine gets the small CPU
# build; otherwise no extra index, and pip takes torch from PyPI (the CUDA build on Linux, the only
# build on macOS). An unreachable extra index does not break pip but makes it retry for every package,
# hence the probe. Override with TORCH_INDEX= (PyPI only) or TORCH_INDEX=<url>.
TORCH_INDEX ?= auto
TORCH_CPU_INDEX := https://download.pytorch.org/whl/cpu

CHROMIUM ?= chromium
PUBLISH_REMOTE ?= $(shell git remote get-url origin 2>/dev/null)

.PHONY: book test pdf publish-html lock clean venv

venv: $(BIN)/.installed

# requirements.txt: this package with its extras [book,test,dask], every package at the version of
# requirements-lock.txt (the whole environment, tested together)
$(BIN)/.installed: requirements.txt requirements-lock.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@index="$(TORCH_INDEX)"; \
	if [ "$$index" = auto ]; then \
		index=; \
		if ! command -v nvidia-smi >/dev/null 2>&1 && $(PYTHON) -c \
			"import urllib.request; urllib.request.urlopen('$(TORCH_CPU_INDEX)/', timeout=5)" 2>/dev/null; then \
			index=$(TORCH_CPU_INDEX); \
		fi; \
	fi; \
	echo "$(BIN)/pip install -r requirements.txt$${index:+ --extra-index-url $$index}"; \
	$(BIN)/pip install --quiet -r requirements.txt $${index:+--extra-index-url "$$index"}
	touch $@

# The experiments first (the pages read their results), then the pages, JOBS at a time, into the
# execution cache (scripts/execute_pages.py), then Sphinx, which finds every page executed.
book: venv
	$(BIN)/python -m lib run all --jobs $(JOBS)
	$(BIN)/python scripts/execute_pages.py --jobs $(JOBS)
	$(BIN)/jupyter-book build -W -n --keep-going .
	@echo "Book written to $(CURDIR)/_build/html/index.html"

test: venv
	BOOK_PROFILE=quick $(BIN)/python -m lib run all --jobs $(JOBS)
	BOOK_PROFILE=quick $(BIN)/pytest -n $(JOBS) --dist loadscope

# One HTML page holding the whole book (Sphinx's singlehtml builder; the pages come from the same
# execution and results caches as `make book`), printed by headless Chromium once MathJax has typeset.
pdf: venv
	$(BIN)/jupyter-book build -W -n --keep-going --builder singlehtml .
	mkdir -p _build/pdf
	@# index.html only redirects (a meta refresh) to the root page, which holds the whole book; that page
	@# (book/intro.html) names its images, styles and scripts relative to the output folder, so it is
	@# printed from a copy there
	page=$$(sed -n 's/.*url=\([^"]*\)".*/\1/p' _build/singlehtml/index.html); \
	cp "_build/singlehtml/$$page" _build/singlehtml/book.html
	@# bookmarks from the headings (--generate-pdf-document-outline); the page numbers and the wrapping of
	@# code lines come from the print rules of book/_static/book.css (Chromium's own header and footer,
	@# a date and a file:// address, are left out)
	$(CHROMIUM) --headless --no-sandbox --disable-gpu --no-pdf-header-footer --generate-pdf-document-outline \
		--virtual-time-budget=60000 --print-to-pdf=_build/pdf/book.pdf "file://$(CURDIR)/_build/singlehtml/book.html"
	@echo "PDF written to $(CURDIR)/_build/pdf/book.pdf"

# Force-pushes one commit holding _build/html (and .nojekyll, so GitHub Pages serves _static/) as the
# branch gh-pages, in a throw-away repository: the work tree and its history are not touched.
publish-html:
	@test -f _build/html/index.html || { echo "no _build/html: run make book first"; exit 1; }
	@test -n "$(PUBLISH_REMOTE)" || { echo "no remote: set PUBLISH_REMOTE=<git url>"; exit 1; }
	rm -rf _build/gh-pages && cp -r _build/html _build/gh-pages && touch _build/gh-pages/.nojekyll
	cd _build/gh-pages && git init -q && git checkout -q -b gh-pages && git add -A && \
		git -c user.name="$$(git config user.name || echo maxpool-repro)" \
			-c user.email="$$(git config user.email || echo maxpool-repro@users.noreply.github.com)" \
			commit -q -m "Publish the book" && \
		git push -f "$(PUBLISH_REMOTE)" gh-pages
	rm -rf _build/gh-pages
	@echo "Pushed _build/html to the gh-pages branch of $(PUBLISH_REMOTE)"

# The lock: every package of the environment `make` installs, tested together (Linux, Python 3.11),
# regenerated in a fresh venv from pyproject.toml's ranges; the versions already locked are kept (to
# upgrade a package, delete its line first). torch is written without its build label (+cpu), so that
# the same line admits the CPU, CUDA and macOS builds of that version.
LOCK_VENV := _build/lock-venv
lock:
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet -c requirements-lock.txt -e '.[book,test,dask]'
	$(LOCK_VENV)/bin/pip check
	{ echo "# Generated by \`make lock\` (Python $$($(LOCK_VENV)/bin/python -c 'import platform; print(platform.python_version())'), Linux): every package that \`make\` installs."; \
	  $(LOCK_VENV)/bin/pip freeze --exclude-editable | sed 's/+cpu$$//'; } > requirements-lock.txt.new
	mv requirements-lock.txt.new requirements-lock.txt
	rm -rf $(LOCK_VENV)
	@echo "requirements-lock.txt: $$(grep -c '==' requirements-lock.txt) packages"

clean:
	$(BIN)/jupyter-book clean --all . || rm -rf _build
