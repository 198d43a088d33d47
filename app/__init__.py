"""payflow: orders that turn into payments reliably — gateway, modules and bus in one package."""
