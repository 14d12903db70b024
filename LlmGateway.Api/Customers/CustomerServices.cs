using Microsoft.Extensions.Options;

namespace LlmGateway.Api.Customers;

public static class CustomerServices
{
    /// <summary>End customers and budget objects: the in-memory directory every replica keeps (section <c>Gateway:Customers</c>).</summary>
    public static IHostApplicationBuilder AddCustomers(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CustomerOptions>().BindConfiguration("Gateway:Customers");
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<CustomerOptions>>().Value);
        Replication.ReplicatedTables.Register(builder.Services);
        builder.Services.AddSingleton<CustomerDirectory>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CustomerDirectory>());
        return builder;
    }
}
