locals {
  tags = merge(var.tags, { environment = var.environment })
}

resource "azurerm_private_dns_zone" "this" {
  count = var.create ? 1 : 0

  # Azure requires a name ending in .mysql.database.azure.com for VNet-integrated servers.
  name                = "${var.name}.private.mysql.database.azure.com"
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

resource "azurerm_mysql_flexible_server" "this" {
  #checkov:skip=CKV2_AZURE_56:Private access is VNet integration (a delegated subnet and a private DNS zone), Azure's other private mode for Flexible Server; a private endpoint cannot be added to a VNet-integrated server.
  #checkov:skip=CKV_AZURE_53:public_network_access = "Disabled" is set; azurerm 4 made public_network_access_enabled, the attribute this check reads, computed only.
  count = var.create ? 1 : 0

  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name

  version  = var.server_version
  sku_name = var.sku_name
  zone     = var.zone == "" ? null : var.zone

  administrator_login    = var.administrator_login
  administrator_password = var.administrator_password

  # Private access (VNet integration): the server has only an address in the delegated subnet.
  delegated_subnet_id   = var.delegated_subnet_id
  private_dns_zone_id   = azurerm_private_dns_zone.this[0].id
  public_network_access = "Disabled"

  backup_retention_days        = var.backup_retention_days
  geo_redundant_backup_enabled = var.geo_redundant_backup

  storage {
    size_gb           = var.storage_gb
    auto_grow_enabled = true
  }

  dynamic "high_availability" {
    for_each = var.high_availability ? [1] : []
    content {
      mode                      = "ZoneRedundant"
      standby_availability_zone = var.standby_zone == "" ? null : var.standby_zone
    }
  }

  maintenance_window {
    day_of_week  = 0
    start_hour   = 3
    start_minute = 0
  }

  tags = local.tags

  depends_on = [azurerm_private_dns_zone_virtual_network_link.this]

  lifecycle {
    # After a failover Azure swaps primary and standby zones; following that is not a change to undo.
    ignore_changes = [zone, high_availability[0].standby_availability_zone]
  }
}

# Clients must use TLS; Azure's default is already ON, pinning it keeps anyone from switching it off unnoticed.
resource "azurerm_mysql_flexible_server_configuration" "require_secure_transport" {
  count = var.create ? 1 : 0

  name                = "require_secure_transport"
  resource_group_name = var.resource_group_name
  server_name         = azurerm_mysql_flexible_server.this[0].name
  value               = "ON"
}

resource "azurerm_mysql_flexible_server_configuration" "tls_version" {
  count = var.create ? 1 : 0

  name                = "tls_version"
  resource_group_name = var.resource_group_name
  server_name         = azurerm_mysql_flexible_server.this[0].name
  # MySQL 5.7 on Azure has no TLS 1.3.
  value = var.server_version == "5.7" ? "TLSv1.2" : "TLSv1.2,TLSv1.3"
}

resource "azurerm_mysql_flexible_server" "replica" {
  #checkov:skip=CKV_AZURE_94:A read replica keeps no backups of its own (Azure backs up the source server only).
  #checkov:skip=CKV2_AZURE_56:Private access is VNet integration (a delegated subnet and a private DNS zone), Azure's other private mode for Flexible Server; a private endpoint cannot be added to a VNet-integrated server.
  #checkov:skip=CKV_AZURE_53:public_network_access = "Disabled" is set; azurerm 4 made public_network_access_enabled, the attribute this check reads, computed only.
  count = var.create && var.read_replica ? 1 : 0

  name                  = "${var.name}-replica"
  location              = var.location
  resource_group_name   = var.resource_group_name
  create_mode           = "Replica"
  source_server_id      = azurerm_mysql_flexible_server.this[0].id
  sku_name              = var.sku_name
  delegated_subnet_id   = var.delegated_subnet_id
  private_dns_zone_id   = azurerm_private_dns_zone.this[0].id
  public_network_access = "Disabled"
  tags                  = merge(local.tags, { replica_of = var.name })

  depends_on = [azurerm_mysql_flexible_server_configuration.require_secure_transport]

  lifecycle {
    ignore_changes = [zone]
  }
}

# A management lock is Azure's way to refuse deletion; Terraform's prevent_destroy cannot follow a variable.
resource "azurerm_management_lock" "this" {
  count = var.create && var.deletion_protection ? 1 : 0

  name       = "${var.name}-no-delete"
  scope      = azurerm_mysql_flexible_server.this[0].id
  lock_level = "CanNotDelete"
  notes      = "deletion_protection is on for environment ${var.environment}; set it to false and apply before destroying."
}

resource "azurerm_management_lock" "replica" {
  count = var.create && var.deletion_protection && var.read_replica ? 1 : 0

  name       = "${var.name}-replica-no-delete"
  scope      = azurerm_mysql_flexible_server.replica[0].id
  lock_level = "CanNotDelete"
  notes      = "deletion_protection is on for environment ${var.environment}; set it to false and apply before destroying."
}
