locals {
  tags         = merge(var.tags, { environment = var.environment })
  account_name = substr(replace(lower(var.bucket_prefix), "/[^a-z0-9]/", ""), 0, 24)

  # The containers Open edX itself reads and writes. Backups are not among them: the operator's machine fetches the
  # dumps from the hosts through Ansible and uploads them with its own credentials (openedx_deploy/backup.py), so a
  # compromised host can neither read nor delete them.
  host_containers = [for name in var.containers : name if name != "backups"]
}

resource "azurerm_storage_account" "this" {
  #checkov:skip=CKV_AZURE_33:Queue service logging configures the queue data plane, which this account does not use (blobs only).
  #checkov:skip=CKV2_AZURE_1:Customer-managed keys need a Key Vault key life cycle of their own; Microsoft-managed keys plus infrastructure (double) encryption are used.
  #checkov:skip=CKV2_AZURE_33:The account firewall (default Deny) admits only the VNet's service-endpoint subnets; a private endpoint adds a DNS zone and nothing the firewall does not already enforce.
  #checkov:skip=CKV_AZURE_43:The name is derived from bucket_prefix by a function the scanner cannot evaluate; the bucket_prefix validation and substr/replace keep it to 3-24 lowercase letters and digits.
  #checkov:skip=CKV_AZURE_206:Replication is the replication_type variable (GZRS by default; the stack uses ZRS or LRS outside ha to save cost).
  #checkov:skip=CKV_AZURE_59:Public network access must stay on for service-endpoint and allowed-IP rules to apply; network_rules default to Deny, so nothing outside them gets in.
  name                = local.account_name
  location            = var.location
  resource_group_name = var.resource_group_name

  account_kind             = "StorageV2"
  account_tier             = "Standard"
  account_replication_type = var.replication_type
  access_tier              = "Hot"

  https_traffic_only_enabled        = true
  min_tls_version                   = "TLS1_2"
  infrastructure_encryption_enabled = true
  allow_nested_items_to_be_public   = false
  shared_access_key_enabled         = var.shared_access_key_enabled
  default_to_oauth_authentication   = true
  cross_tenant_replication_enabled  = false
  local_user_enabled                = false
  sftp_enabled                      = false

  blob_properties {
    versioning_enabled = var.versioning

    delete_retention_policy {
      days = var.soft_delete_retention_days
    }

    container_delete_retention_policy {
      days = var.soft_delete_retention_days
    }
  }

  network_rules {
    default_action             = "Deny"
    bypass                     = ["AzureServices"]
    virtual_network_subnet_ids = var.allowed_subnet_ids
    ip_rules                   = var.allowed_ip_ranges
  }

  sas_policy {
    expiration_period = "01.00:00:00"
    expiration_action = "Log"
  }

  tags = local.tags
}

resource "azurerm_storage_container" "this" {
  #checkov:skip=CKV2_AZURE_21:Read-request logging needs a Log Analytics workspace or log account the operator chooses; Azure Activity Log still records management operations.
  for_each = toset(var.containers)

  name                  = each.key
  storage_account_id    = azurerm_storage_account.this.id
  container_access_type = "private"
}

resource "azurerm_storage_management_policy" "this" {
  count = var.versioning && var.noncurrent_version_retention_days > 0 ? 1 : 0

  storage_account_id = azurerm_storage_account.this.id

  rule {
    name    = "expire-noncurrent-versions"
    enabled = true

    filters {
      blob_types = ["blockBlob"]
    }

    actions {
      version {
        delete_after_days_since_creation = var.noncurrent_version_retention_days
      }
    }
  }
}

# The identity the app and worker hosts carry; its only grants are data access to this account's containers,
# backups excepted, and the delegation keys below.
resource "azurerm_user_assigned_identity" "this" {
  name                = "${var.environment}-hosts"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = local.tags
}

# One assignment per container rather than one on the account, which would cover every container, backups too.
# With storage_account_id set, a container's `id` is its Resource Manager ID (.../blobServices/default/containers/
# <name>), the scope a role assignment takes; `resource_manager_id` is the deprecated alias of it.
resource "azurerm_role_assignment" "blob_data" {
  for_each = toset(local.host_containers)

  scope                = azurerm_storage_container.this[each.key].id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_user_assigned_identity.this.principal_id
  principal_type       = "ServicePrincipal"
}

# Lets the identity mint user delegation keys, which sign time-limited download links without account keys.
# Get User Delegation Key is an account-level operation, so this role is assigned on the account: a container scope
# would not let the identity call it. It opens no container by itself: a user delegation SAS grants at most what the
# key's holder may do through its own data roles, so a link signed for backups is refused.
resource "azurerm_role_assignment" "delegator" {
  scope                = azurerm_storage_account.this.id
  role_definition_name = "Storage Blob Delegator"
  principal_id         = azurerm_user_assigned_identity.this.principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_management_lock" "this" {
  count = var.deletion_protection ? 1 : 0

  name       = "${local.account_name}-no-delete"
  scope      = azurerm_storage_account.this.id
  lock_level = "CanNotDelete"
  notes      = "deletion_protection is on for environment ${var.environment}; remove the lock (set deletion_protection = false and apply) before destroying."
}
