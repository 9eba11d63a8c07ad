locals {
  tags = merge(var.tags, { role = var.role })

  images = {
    "debian-12" = {
      publisher = "Debian"
      offer     = "debian-12"
      sku       = "12-gen2"
    }
    "ubuntu-24.04" = {
      publisher = "Canonical"
      offer     = "ubuntu-24_04-lts"
      sku       = "server"
    }
  }

  # cloud-init's only job here: the environment's host key, so that sshd presents exactly the key the inventory
  # pins (no other key type is generated). Azure creates the user from admin_ssh_key.
  custom_data = var.ssh_host_key == "" ? null : base64encode("#cloud-config\n${yamlencode({
    ssh_deletekeys  = true
    ssh_genkeytypes = []
    ssh_keys = {
      ed25519_private = var.ssh_host_key
      ed25519_public  = trimspace(var.ssh_host_public_key)
    }
  })}")

  zone_for = [for i in range(var.host_count) : length(var.zones) > 0 ? var.zones[i % length(var.zones)] : null]
}

resource "azurerm_public_ip" "this" {
  count = var.public_ip ? var.host_count : 0

  name                = "${var.name}-${count.index + 1}-pip"
  location            = var.location
  resource_group_name = var.resource_group_name
  allocation_method   = "Static"
  sku                 = "Standard"
  zones               = local.zone_for[count.index] == null ? null : [local.zone_for[count.index]]
  tags                = local.tags
}

resource "azurerm_network_interface" "this" {
  #checkov:skip=CKV_AZURE_119:A public IP is attached only when public_ip is set (the stack does so for the bastion only, when ssh_allowed_cidrs is non-empty); its NSG admits only port 22 from those CIDRs.
  count = var.host_count

  name                = "${var.name}-${count.index + 1}-nic"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = local.tags

  ip_configuration {
    name                          = "primary"
    subnet_id                     = var.subnet_id
    private_ip_address_allocation = count.index < length(var.private_addresses) ? "Static" : "Dynamic"
    private_ip_address            = try(var.private_addresses[count.index], null)
    public_ip_address_id          = var.public_ip ? azurerm_public_ip.this[count.index].id : null
  }
}

resource "azurerm_linux_virtual_machine" "this" {
  count = var.host_count

  name                  = "${var.name}-${count.index + 1}"
  computer_name         = "${var.name}-${count.index + 1}"
  location              = var.location
  resource_group_name   = var.resource_group_name
  size                  = var.size
  zone                  = local.zone_for[count.index]
  network_interface_ids = [azurerm_network_interface.this[count.index].id]

  custom_data                     = local.custom_data
  admin_username                  = var.ssh_user
  disable_password_authentication = true
  admin_ssh_key {
    username   = var.ssh_user
    public_key = var.ssh_public_key
  }

  # Configuration is Ansible's job; VM extensions would be a second, unaudited way to run code on the hosts.
  allow_extension_operations = false
  encryption_at_host_enabled = var.encryption_at_host
  secure_boot_enabled        = var.trusted_launch
  vtpm_enabled               = var.trusted_launch
  patch_mode                 = "ImageDefault"

  os_disk {
    name                 = "${var.name}-${count.index + 1}-os"
    caching              = "ReadWrite"
    storage_account_type = var.os_disk_type
    disk_size_gb         = var.os_disk_gb
  }

  source_image_reference {
    publisher = local.images[var.os_image].publisher
    offer     = local.images[var.os_image].offer
    sku       = local.images[var.os_image].sku
    version   = "latest"
  }

  dynamic "identity" {
    for_each = length(var.identity_ids) > 0 ? [1] : []
    content {
      type         = "UserAssigned"
      identity_ids = var.identity_ids
    }
  }

  # Managed boot diagnostics storage: the serial console works without a storage account of ours.
  boot_diagnostics {}

  tags = merge(local.tags, { Name = "${var.name}-${count.index + 1}" })

  lifecycle {
    # "latest" resolves to a new image version over time; a rebuild must be a deliberate act, not drift.
    # custom_data too: changing it would replace the VM; a running host keeps the key it booted with.
    ignore_changes = [source_image_reference, custom_data]
  }
}

resource "azurerm_network_interface_application_gateway_backend_address_pool_association" "this" {
  count = var.attach_to_application_gateway ? var.host_count : 0

  network_interface_id    = azurerm_network_interface.this[count.index].id
  ip_configuration_name   = "primary"
  backend_address_pool_id = var.application_gateway_backend_pool_id
}
