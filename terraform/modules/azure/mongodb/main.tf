locals {
  compute_tier = can(regex("^M[0-9]+$", var.machine_type)) ? var.machine_type : "M30"
}

# Cosmos DB for MongoDB (vCore): MongoDB wire protocol on Azure's own engine, not MongoDB server.
resource "azurerm_mongo_cluster" "this" {
  count = var.create ? 1 : 0

  name                   = var.name
  location               = var.location
  resource_group_name    = var.resource_group_name
  version                = var.mongodb_version
  compute_tier           = local.compute_tier
  storage_size_in_gb     = var.disk_gb
  shard_count            = 1
  high_availability_mode = var.high_availability ? "ZoneRedundantPreferred" : "Disabled"
  public_network_access  = "Disabled"
  administrator_username = var.administrator_username
  administrator_password = var.administrator_password
  tags                   = var.tags
}

resource "azurerm_private_dns_zone" "this" {
  count = var.create ? 1 : 0

  name                = "privatelink.mongocluster.cosmos.azure.com"
  resource_group_name = var.resource_group_name
  tags                = var.tags
}

resource "azurerm_private_dns_zone_virtual_network_link" "this" {
  count = var.create ? 1 : 0

  name                  = "${var.name}-vnet"
  private_dns_zone_name = azurerm_private_dns_zone.this[0].name
  resource_group_name   = var.resource_group_name
  virtual_network_id    = var.virtual_network_id
  registration_enabled  = false
  tags                  = var.tags
}

resource "azurerm_private_endpoint" "this" {
  count = var.create ? 1 : 0

  name                = "${var.name}-pe"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.subnet_id
  tags                = var.tags

  private_service_connection {
    name                           = "${var.name}-mongo"
    private_connection_resource_id = azurerm_mongo_cluster.this[0].id
    subresource_names              = ["MongoCluster"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "mongocluster"
    private_dns_zone_ids = [azurerm_private_dns_zone.this[0].id]
  }
}

resource "azurerm_management_lock" "this" {
  count = var.create && var.deletion_protection ? 1 : 0

  name       = "${var.name}-no-delete"
  scope      = azurerm_mongo_cluster.this[0].id
  lock_level = "CanNotDelete"
  notes      = "deletion_protection is on; set it to false and apply before destroying."
}
