"""`python -m openedx_deploy`: the same command as `openedx-deploy`."""

from openedx_deploy.cli import main

if __name__ == "__main__":
    main()
