locals {
  tags   = merge(var.tags, { environment = var.environment, managed_by = "openedx-deploy" })
  single = var.profile == "single"

  # ---- the data stores (docs/contracts.md, "Data-store modules"): add a store here, in data_host_counts and in
  # the outputs' endpoints ----
  # Whether each store is the cloud's managed service; Azure has none for search.
  managed = {
    mysql   = var.mysql_mode == "managed"
    mongodb = var.mongodb_mode == "managed"
    redis   = var.redis_mode == "managed"
    search  = false
  }
  # The port a self-hosted store's servers listen on.
  self_hosted_port = {
    mysql   = 3306
    mongodb = 27017
    redis   = 6379
    search  = var.search_engine == "meilisearch" ? 7700 : 9200
  }
  # How the hosts module places a self-hosted store's VMs (the data subnet's NSG admits the app and worker subnets
  # on network.data_ports).
  data_hosts = {
    mysql   = { size = var.mysql_machine_type, disk_gb = var.mysql_disk_gb, tags = {} }
    mongodb = { size = var.mongodb_machine_type, disk_gb = var.mongodb_disk_gb, tags = {} }
    redis   = { size = var.redis_machine_type, disk_gb = 30, tags = {} }
    search  = { size = var.search_machine_type, disk_gb = var.search_disk_gb, tags = { search_version = var.search_version, search_engine = var.search_engine } }
    # The RabbitMQ broker (broker: rabbitmq), AMQP over TLS on 5671.
    rabbitmq = { size = var.rabbitmq_machine_type, disk_gb = 30, tags = {} }
  }

  mysql_server_version = lookup({ "8.0" = "8.0.21" }, var.mysql_version, var.mysql_version)
  # A VM size given for managed MySQL gets the Flexible Server tier prefix (B-series is Burstable).
  mysql_sku = can(regex("^(B|GP|MO)_", var.mysql_machine_type)) ? var.mysql_machine_type : (
    can(regex("^Standard_B", var.mysql_machine_type)) ? "B_${var.mysql_machine_type}" : "GP_${var.mysql_machine_type}"
  )

  # Standard_C1 / Premium_P2 / C1 / P2; anything else (a VM size) falls back to C1, or P1 when HA is asked.
  redis_size     = regex("^(?:(?:Standard|Premium)_)?([CP]?)([0-6]?)$", can(regex("^(?:(?:Standard|Premium)_)?[CP][0-6]$", var.redis_machine_type)) ? var.redis_machine_type : "")
  redis_premium  = var.redis_ha || local.redis_size[0] == "P"
  redis_capacity = local.redis_size[1] == "" ? 1 : max(tonumber(local.redis_size[1]), local.redis_premium ? 1 : 0)

  primary_zone = length(var.zones) > 0 ? var.zones[0] : ""
  standby_zone = length(var.zones) > 1 ? var.zones[1] : ""

  # Unique per subscription and resource group, stable across runs; keeps global names from colliding.
  suffix = substr(sha1(azurerm_resource_group.this.id), 0, 6)

  tls_bundle = var.tls_mode == "provided" ? join("\n", [
    trimspace(try(file(var.tls_certificate_file), "")),
    trimspace(try(file(var.tls_private_key_file), "")),
  ]) : ""
}

resource "azurerm_resource_group" "this" {
  name     = "${var.environment}-openedx"
  location = var.region
  tags     = local.tags
}

module "network" {
  source = "../../modules/azure/network"

  name                = var.environment
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  address_space       = var.network_cidr
  ssh_allowed_cidrs   = var.ssh_allowed_cidrs
  create_mysql_subnet = local.managed.mysql
  data_ports          = [3306, 27017, 6379, 6380, 7700, 9200, 10260, 5671]
  tags                = local.tags
}

module "storage" {
  source = "../../modules/azure/storage"

  environment               = var.environment
  bucket_prefix             = var.storage_bucket_prefix
  location                  = azurerm_resource_group.this.location
  resource_group_name       = azurerm_resource_group.this.name
  versioning                = var.storage_versioning
  replication_type          = var.profile == "ha" ? "GZRS" : (length(var.zones) > 0 ? "ZRS" : "LRS")
  shared_access_key_enabled = var.storage_shared_key_enabled
  allowed_subnet_ids        = [module.network.subnet_ids["app"], module.network.subnet_ids["worker"], module.network.subnet_ids["data"]]
  allowed_ip_ranges         = var.storage_allowed_ip_ranges
  deletion_protection       = var.deletion_protection
  tags                      = local.tags
}

module "load_balancer" {
  source = "../../modules/azure/load_balancer"

  name                             = var.environment
  location                         = azurerm_resource_group.this.location
  resource_group_name              = azurerm_resource_group.this.name
  subnet_id                        = module.network.subnet_ids["gateway"]
  zones                            = var.zones
  domain_name_label                = "${var.environment}-${local.suffix}"
  domains                          = distinct(compact([var.lms_domain, var.studio_domain, var.mfe_domain, var.notes_domain, var.meilisearch_domain]))
  tls_mode                         = var.tls_mode
  certificate_pem                  = local.tls_bundle
  certificate_issuer               = var.tls_certificate_issuer
  certificate_writer_principal_ids = var.tls_mode == "acme" ? [module.storage.identity_principal_id] : []
  min_capacity                     = var.profile == "ha" ? 2 : 1
  max_capacity                     = var.profile == "ha" ? 10 : 4
  waf_enabled                      = var.waf_enabled
  tags                             = local.tags
}

# ---- the file system the app and worker hosts share (every profile but single) ----

# Azure Files over NFS, mounted at /var/lib/openedx on the app and worker hosts (the common role): the lms and cms
# data directories and the media, so that a file one host writes is there for the others.
module "shared_files" {
  source = "../../modules/azure/shared_files"

  create              = !local.single
  environment         = var.environment
  account_name        = "${substr(replace(var.environment, "-", ""), 0, 13)}nfs${local.suffix}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  replication_type    = length(var.zones) > 0 ? "ZRS" : "LRS"
  allowed_subnet_ids  = [module.network.subnet_ids["app"], module.network.subnet_ids["worker"]]
  deletion_protection = var.deletion_protection
  tags                = local.tags
}

# ---- CDN: Azure Front Door in front of /static/ and /media/ (cdn_enabled) ----

module "cdn" {
  source = "../../modules/azure/cdn"

  create              = var.cdn_enabled
  name                = var.environment
  resource_group_name = azurerm_resource_group.this.name
  origin_domain       = var.lms_domain
  domain              = var.cdn_domain
  zone_name           = var.cdn_domain != "" ? var.dns_zone : ""
  zone_resource_group = var.dns_zone_resource_group
  tags                = local.tags
}

# The domains point at the gateway's public address (when the environment names a zone).
module "dns" {
  source = "../../modules/azure/dns"

  zone_name           = var.dns_zone
  zone_resource_group = var.dns_zone_resource_group
  domains             = compact([var.lms_domain, var.studio_domain, var.mfe_domain, var.notes_domain, var.meilisearch_domain])
  address             = module.load_balancer.address
  tags                = local.tags
}

module "app" {
  source = "../../modules/azure/app_hosts"

  name                                = "${var.environment}-app"
  role                                = "app"
  host_count                          = var.app_count
  location                            = azurerm_resource_group.this.location
  resource_group_name                 = azurerm_resource_group.this.name
  zones                               = var.zones
  subnet_id                           = module.network.subnet_ids["app"]
  size                                = var.app_machine_type
  os_disk_gb                          = var.app_disk_gb
  os_image                            = var.os_image
  ssh_user                            = var.ssh_user
  ssh_public_key                      = var.ssh_public_key
  ssh_host_key                        = var.ssh_host_key
  ssh_host_public_key                 = var.ssh_host_public_key
  identity_ids                        = [module.storage.identity_id]
  encryption_at_host                  = var.encryption_at_host
  attach_to_application_gateway       = true
  application_gateway_backend_pool_id = module.load_balancer.backend_pool_id
  tags                                = local.tags
}

# The one way in: SSH from ssh_allowed_cidrs reaches this host only, and the others accept SSH from it.
module "bastion" {
  source = "../../modules/azure/app_hosts"

  name                = "${var.environment}-bastion"
  role                = "bastion"
  host_count          = length(var.ssh_allowed_cidrs) > 0 ? 1 : 0
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  zones               = slice(var.zones, 0, min(1, length(var.zones)))
  subnet_id           = module.network.subnet_ids["bastion"]
  # Its subnet's last usable address (Azure keeps the last): a bastion replaced after a destroy that kept the data
  # hosts comes back at the address their firewalls admit SSH from.
  private_addresses   = [cidrhost(module.network.subnet_prefixes["bastion"], -2)]
  size                = var.bastion_machine_type
  os_disk_gb          = 30
  os_image            = var.os_image
  ssh_user            = var.ssh_user
  ssh_public_key      = var.ssh_public_key
  ssh_host_key        = var.ssh_host_key
  ssh_host_public_key = var.ssh_host_public_key
  public_ip           = true
  encryption_at_host  = var.encryption_at_host
  tags                = local.tags
}

module "worker" {
  source = "../../modules/azure/app_hosts"

  name                = "${var.environment}-worker"
  role                = "worker"
  host_count          = local.single ? 0 : var.worker_count
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  zones               = var.zones
  subnet_id           = module.network.subnet_ids["worker"]
  size                = var.worker_machine_type
  os_disk_gb          = var.worker_disk_gb
  os_image            = var.os_image
  ssh_user            = var.ssh_user
  ssh_public_key      = var.ssh_public_key
  ssh_host_key        = var.ssh_host_key
  ssh_host_public_key = var.ssh_host_public_key
  identity_ids        = [module.storage.identity_id]
  encryption_at_host  = var.encryption_at_host
  tags                = local.tags
}

# ---- data stores: each store's managed service (a create toggle), its self-hosted VMs from the hosts module ----

module "mysql" {
  source = "../../modules/azure/mysql"

  create                 = local.managed.mysql
  name                   = "${var.environment}-mysql-${local.suffix}"
  environment            = var.environment
  location               = azurerm_resource_group.this.location
  resource_group_name    = azurerm_resource_group.this.name
  server_version         = local.mysql_server_version
  sku_name               = local.mysql_sku
  storage_gb             = var.mysql_disk_gb
  delegated_subnet_id    = lookup(module.network.subnet_ids, "mysql", "")
  virtual_network_id     = module.network.vnet_id
  zone                   = local.primary_zone
  high_availability      = var.mysql_ha
  standby_zone           = local.standby_zone
  read_replica           = var.mysql_read_replica
  backup_retention_days  = var.mysql_backup_retention_days
  geo_redundant_backup   = var.mysql_geo_redundant_backup
  administrator_password = var.mysql_admin_password
  deletion_protection    = var.deletion_protection
  tags                   = local.tags
}

module "mongodb" {
  source = "../../modules/azure/mongodb"

  create                 = local.managed.mongodb
  name                   = "${var.environment}-mongo-${local.suffix}"
  location               = azurerm_resource_group.this.location
  resource_group_name    = azurerm_resource_group.this.name
  mongodb_version        = var.mongodb_version
  machine_type           = var.mongodb_machine_type
  disk_gb                = var.mongodb_disk_gb
  high_availability      = var.profile == "ha"
  subnet_id              = module.network.subnet_ids["data"]
  virtual_network_id     = module.network.vnet_id
  administrator_password = var.mongodb_admin_password
  deletion_protection    = var.deletion_protection
  tags                   = local.tags
}

module "redis" {
  source = "../../modules/azure/redis"

  create              = local.managed.redis
  name                = "${var.environment}-redis-${local.suffix}"
  environment         = var.environment
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  sku_name            = local.redis_premium ? "Premium" : "Standard"
  capacity            = local.redis_capacity
  zones               = var.redis_ha ? var.zones : []
  subnet_id           = module.network.subnet_ids["data"]
  virtual_network_id  = module.network.vnet_id
  tags                = local.tags
}

# Azure offers no managed Meilisearch or OpenSearch (the stack's variables refuse a managed search_mode), so search
# has no module of its own: it is self-hosted, on the VMs below or on the app host.

# The VMs of every self-hosted store: as many as the topology asks for (data_host_counts), none for a managed one.
module "data_hosts" {
  source   = "../../modules/azure/app_hosts"
  for_each = tomap(var.data_host_counts)

  name                = "${var.environment}-${each.key}"
  role                = each.key
  host_count          = each.value
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  zones               = var.zones
  subnet_id           = module.network.subnet_ids["data"]
  # A managed store leaves no host to size, and its machine type is then the service's own size.
  size                = each.value > 0 ? local.data_hosts[each.key].size : null
  os_disk_gb          = local.data_hosts[each.key].disk_gb
  os_image            = var.os_image
  ssh_user            = var.ssh_user
  ssh_public_key      = var.ssh_public_key
  ssh_host_key        = var.ssh_host_key
  ssh_host_public_key = var.ssh_host_public_key
  encryption_at_host  = var.encryption_at_host
  tags                = merge(local.tags, local.data_hosts[each.key].tags)
}
