using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Data;

/// <summary>
/// The gateway's store: teams, virtual keys (hashed) and the spend ledger.
/// Add a migration with: <c>dotnet ef migrations add Name --project LlmGateway.Api --output-dir Data/Migrations</c>.
/// Migrations are applied at start-up by <see cref="DatabaseMigrator"/>.
/// </summary>
public sealed class GatewayDbContext(DbContextOptions<GatewayDbContext> options) : DbContext(options)
{
    public DbSet<Team> Teams => Set<Team>();
    public DbSet<VirtualKey> VirtualKeys => Set<VirtualKey>();
    public DbSet<SpendLog> SpendLogs => Set<SpendLog>();
    public DbSet<ContentLog> ContentLogs => Set<ContentLog>();
    public DbSet<AuditLog> AuditLog => Set<AuditLog>();
    public DbSet<StoredResponse> StoredResponses => Set<StoredResponse>();
    public DbSet<InternalUser> InternalUsers => Set<InternalUser>();
    public DbSet<ProxyModel> ProxyModels => Set<ProxyModel>();
    public DbSet<TeamMembership> TeamMemberships => Set<TeamMembership>();
    public DbSet<Organization> Organizations => Set<Organization>();
    public DbSet<OrganizationMembership> OrganizationMemberships => Set<OrganizationMembership>();
    public DbSet<Customer> Customers => Set<Customer>();
    public DbSet<Budget> Budgets => Set<Budget>();
    public DbSet<Tag> Tags => Set<Tag>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(GatewayDbContext).Assembly);
}
