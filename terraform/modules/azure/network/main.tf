locals {
  tags = merge(var.tags, { environment = var.name })

  # Every tier gets a /24 whatever the size of the address space, so addresses stay predictable.
  newbits = 24 - tonumber(split("/", var.address_space)[1])

  subnet_prefixes = {
    gateway = cidrsubnet(var.address_space, local.newbits, 0)
    app     = cidrsubnet(var.address_space, local.newbits, 1)
    worker  = cidrsubnet(var.address_space, local.newbits, 2)
    data    = cidrsubnet(var.address_space, local.newbits, 3)
    mysql   = cidrsubnet(var.address_space, local.newbits, 4)
    bastion = cidrsubnet(var.address_space, local.newbits, 5)
  }

  # Host tiers reach the internet only through the NAT gateway; the gateway subnet is excluded because
  # Application Gateway v2 does not support a NAT gateway on its subnet.
  nat_tiers = var.create_nat_gateway ? toset(["app", "worker", "data"]) : toset([])

  nsg_tiers = var.create_mysql_subnet ? toset(["gateway", "app", "worker", "data", "mysql", "bastion"]) : toset(["gateway", "app", "worker", "data", "bastion"])

  data_ports = [for p in var.data_ports : tostring(p)]

  # One list of inbound rules for all subnets. Azure's default rules allow all traffic from inside the VNet,
  # so the data subnets end with an explicit deny that leaves only what is listed above it.
  rules = concat(
    [
      {
        nsg    = "gateway", name = "allow-gateway-manager", priority = 100, access = "Allow", protocol = "Tcp",
        source = ["GatewayManager"], ports = ["65200-65535"]
      },
      {
        nsg    = "gateway", name = "allow-web-from-internet", priority = 110, access = "Allow", protocol = "Tcp",
        source = ["Internet"], ports = ["80", "443"]
      },
      {
        nsg    = "gateway", name = "allow-azure-load-balancer", priority = 120, access = "Allow", protocol = "*",
        source = ["AzureLoadBalancer"], ports = ["*"]
      },
      {
        nsg    = "app", name = "allow-web-from-gateway", priority = 100, access = "Allow", protocol = "Tcp",
        source = [local.subnet_prefixes.gateway], ports = ["80", "443"]
      },
      {
        nsg    = "worker", name = "allow-ssh-from-bastion", priority = 100, access = "Allow", protocol = "Tcp",
        source = [local.subnet_prefixes.bastion], ports = ["22"]
      },
      {
        nsg    = "app", name = "allow-ssh-from-bastion", priority = 120, access = "Allow", protocol = "Tcp",
        source = [local.subnet_prefixes.bastion], ports = ["22"]
      },
      {
        nsg    = "data", name = "allow-data-from-app-worker", priority = 100, access = "Allow", protocol = "Tcp",
        source = [local.subnet_prefixes.app, local.subnet_prefixes.worker], ports = local.data_ports
      },
      {
        nsg    = "data", name = "allow-ssh-from-bastion", priority = 110, access = "Allow", protocol = "Tcp",
        source = [local.subnet_prefixes.bastion], ports = ["22"]
      },
      {
        # Replica set members and search cluster nodes talk to each other inside the data subnet.
        nsg    = "data", name = "allow-data-intra-subnet", priority = 120, access = "Allow", protocol = "*",
        source = [local.subnet_prefixes.data], ports = ["*"]
      },
      {
        nsg    = "data", name = "deny-other-vnet", priority = 4000, access = "Deny", protocol = "*",
        source = ["VirtualNetwork"], ports = ["*"]
      },
    ],
    length(var.ssh_allowed_cidrs) == 0 ? [] : [
      {
        # Only the bastion's subnet: the other hosts have no public address and accept SSH from the bastion.
        nsg    = "bastion", name = "allow-ssh-from-operators", priority = 100, access = "Allow", protocol = "Tcp",
        source = var.ssh_allowed_cidrs, ports = ["22"]
      },
    ],
    var.create_mysql_subnet ? [
      {
        nsg    = "mysql", name = "allow-mysql-from-app-worker", priority = 100, access = "Allow", protocol = "Tcp",
        source = [local.subnet_prefixes.app, local.subnet_prefixes.worker], ports = ["3306"]
      },
      {
        # Primary and standby of a zone-redundant server replicate inside the delegated subnet.
        nsg    = "mysql", name = "allow-mysql-intra-subnet", priority = 110, access = "Allow", protocol = "*",
        source = [local.subnet_prefixes.mysql], ports = ["*"]
      },
      {
        nsg    = "mysql", name = "deny-other-vnet", priority = 4000, access = "Deny", protocol = "*",
        source = ["VirtualNetwork"], ports = ["*"]
      },
    ] : [],
  )
}

resource "azurerm_virtual_network" "this" {
  name                = "${var.name}-vnet"
  location            = var.location
  resource_group_name = var.resource_group_name
  address_space       = [var.address_space]
  tags                = local.tags
}

resource "azurerm_subnet" "gateway" {
  name                 = "${var.name}-gateway"
  resource_group_name  = var.resource_group_name
  virtual_network_name = azurerm_virtual_network.this.name
  address_prefixes     = [local.subnet_prefixes.gateway]
}

resource "azurerm_subnet" "app" {
  name                            = "${var.name}-app"
  resource_group_name             = var.resource_group_name
  virtual_network_name            = azurerm_virtual_network.this.name
  address_prefixes                = [local.subnet_prefixes.app]
  default_outbound_access_enabled = false
  service_endpoints               = ["Microsoft.Storage"]
}

resource "azurerm_subnet" "worker" {
  name                            = "${var.name}-worker"
  resource_group_name             = var.resource_group_name
  virtual_network_name            = azurerm_virtual_network.this.name
  address_prefixes                = [local.subnet_prefixes.worker]
  default_outbound_access_enabled = false
  service_endpoints               = ["Microsoft.Storage"]
}

resource "azurerm_subnet" "data" {
  name                            = "${var.name}-data"
  resource_group_name             = var.resource_group_name
  virtual_network_name            = azurerm_virtual_network.this.name
  address_prefixes                = [local.subnet_prefixes.data]
  default_outbound_access_enabled = false
  service_endpoints               = ["Microsoft.Storage"]
  # Private endpoints (managed Redis) live here; without network policies the NSG would not apply to them.
  private_endpoint_network_policies = "Enabled"
}

# The SSH bastion's subnet: the one host with a public address reachable on port 22 (from ssh_allowed_cidrs).
resource "azurerm_subnet" "bastion" {
  name                            = "${var.name}-bastion"
  resource_group_name             = var.resource_group_name
  virtual_network_name            = azurerm_virtual_network.this.name
  address_prefixes                = [local.subnet_prefixes.bastion]
  default_outbound_access_enabled = false
}

resource "azurerm_subnet" "mysql" {
  #checkov:skip=CKV2_AZURE_31:The NSG is attached by azurerm_subnet_network_security_group_association.mysql, which has the same count; the scanner does not follow counted references.
  count = var.create_mysql_subnet ? 1 : 0

  name                            = "${var.name}-mysql"
  resource_group_name             = var.resource_group_name
  virtual_network_name            = azurerm_virtual_network.this.name
  address_prefixes                = [local.subnet_prefixes.mysql]
  default_outbound_access_enabled = false

  delegation {
    name = "mysql-flexible-server"

    service_delegation {
      name    = "Microsoft.DBforMySQL/flexibleServers"
      actions = ["Microsoft.Network/virtualNetworks/subnets/join/action"]
    }
  }
}

locals {
  subnet_ids = merge(
    {
      gateway = azurerm_subnet.gateway.id
      app     = azurerm_subnet.app.id
      worker  = azurerm_subnet.worker.id
      data    = azurerm_subnet.data.id
      bastion = azurerm_subnet.bastion.id
    },
    var.create_mysql_subnet ? { mysql = azurerm_subnet.mysql[0].id } : {},
  )
}

resource "azurerm_network_security_group" "this" {
  for_each = local.nsg_tiers

  name                = "${var.name}-${each.key}-nsg"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = local.tags
}

resource "azurerm_network_security_rule" "inbound" {
  for_each = { for r in local.rules : "${r.nsg}-${r.name}" => r }

  name                        = each.value.name
  resource_group_name         = var.resource_group_name
  network_security_group_name = azurerm_network_security_group.this[each.value.nsg].name
  priority                    = each.value.priority
  direction                   = "Inbound"
  access                      = each.value.access
  protocol                    = each.value.protocol
  source_port_range           = "*"
  source_address_prefix       = length(each.value.source) == 1 ? each.value.source[0] : null
  source_address_prefixes     = length(each.value.source) == 1 ? null : each.value.source
  destination_address_prefix  = "*"
  destination_port_range      = length(each.value.ports) == 1 ? each.value.ports[0] : null
  destination_port_ranges     = length(each.value.ports) == 1 ? null : each.value.ports
}

# One association per subnet, written out, so each subnet's NSG is visible at a glance (and to policy scanners).
resource "azurerm_subnet_network_security_group_association" "gateway" {
  subnet_id                 = azurerm_subnet.gateway.id
  network_security_group_id = azurerm_network_security_group.this["gateway"].id
}

resource "azurerm_subnet_network_security_group_association" "app" {
  subnet_id                 = azurerm_subnet.app.id
  network_security_group_id = azurerm_network_security_group.this["app"].id
}

resource "azurerm_subnet_network_security_group_association" "worker" {
  subnet_id                 = azurerm_subnet.worker.id
  network_security_group_id = azurerm_network_security_group.this["worker"].id
}

resource "azurerm_subnet_network_security_group_association" "data" {
  subnet_id                 = azurerm_subnet.data.id
  network_security_group_id = azurerm_network_security_group.this["data"].id
}

resource "azurerm_subnet_network_security_group_association" "bastion" {
  subnet_id                 = azurerm_subnet.bastion.id
  network_security_group_id = azurerm_network_security_group.this["bastion"].id
}

resource "azurerm_subnet_network_security_group_association" "mysql" {
  count = var.create_mysql_subnet ? 1 : 0

  subnet_id                 = azurerm_subnet.mysql[0].id
  network_security_group_id = azurerm_network_security_group.this["mysql"].id
}

resource "azurerm_public_ip" "nat" {
  count = var.create_nat_gateway ? 1 : 0

  name                = "${var.name}-nat-pip"
  location            = var.location
  resource_group_name = var.resource_group_name
  allocation_method   = "Static"
  sku                 = "Standard"
  tags                = local.tags
}

resource "azurerm_nat_gateway" "this" {
  count = var.create_nat_gateway ? 1 : 0

  name                    = "${var.name}-nat"
  location                = var.location
  resource_group_name     = var.resource_group_name
  sku_name                = "Standard"
  idle_timeout_in_minutes = 10
  tags                    = local.tags
}

resource "azurerm_nat_gateway_public_ip_association" "this" {
  count = var.create_nat_gateway ? 1 : 0

  nat_gateway_id       = azurerm_nat_gateway.this[0].id
  public_ip_address_id = azurerm_public_ip.nat[0].id
}

resource "azurerm_subnet_nat_gateway_association" "this" {
  for_each = local.nat_tiers

  subnet_id      = local.subnet_ids[each.key]
  nat_gateway_id = azurerm_nat_gateway.this[0].id
}
