locals {
  tags  = merge(var.tags, { environment = var.environment })
  zones = var.sku_name == "Premium" && length(var.zones) > 0 ? var.zones : null
}

resource "azurerm_redis_cache" "this" {
  count = var.create ? 1 : 0

  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name

  sku_name      = var.sku_name
  family        = var.sku_name == "Premium" ? "P" : "C"
  capacity      = var.capacity
  redis_version = var.redis_version
  zones         = local.zones

  # TLS only: the plain port 6379 stays closed, clients use 6380.
  non_ssl_port_enabled          = false
  minimum_tls_version           = "1.2"
  public_network_access_enabled = false

  # Open edX and Celery authenticate with a password (the access key); Entra ID tokens are not supported by them.
  access_keys_authentication_enabled = true

  redis_configuration {
    authentication_enabled = true
    maxmemory_policy       = var.maxmemory_policy
  }

  patch_schedule {
    day_of_week    = "Sunday"
    start_hour_utc = 3
  }

  tags = local.tags
}

resource "azurerm_private_dns_zone" "this" {
  count = var.create ? 1 : 0

  name                = "privatelink.redis.cache.windows.net"
  resource_group_name = var.resource_group_name
  tags                = local.tags
}

resource "azurerm_private_dns_zone_virtual_network_link" "this" {
  count = var.create ? 1 : 0

  name                  = "${var.name}-vnet"
  private_dns_zone_name = azurerm_private_dns_zone.this[0].name
  resource_group_name   = var.resource_group_name
  virtual_network_id    = var.virtual_network_id
  registration_enabled  = false
  tags                  = local.tags
}

resource "azurerm_private_endpoint" "this" {
  count = var.create ? 1 : 0

  name                = "${var.name}-pe"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.subnet_id
  tags                = local.tags

  private_service_connection {
    name                           = "${var.name}-redis"
    private_connection_resource_id = azurerm_redis_cache.this[0].id
    subresource_names              = ["redisCache"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "redis"
    private_dns_zone_ids = [azurerm_private_dns_zone.this[0].id]
  }
}
