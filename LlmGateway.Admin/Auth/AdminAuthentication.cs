using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace LlmGateway.Admin.Auth;

/// <summary>Cookie sessions (master key or admin password), optional OpenID Connect, and shared data-protection keys.</summary>
public static class AdminAuthentication
{
    public const string SignInPath = "/account/signin";
    public const string OidcScheme = OpenIdConnectDefaults.AuthenticationScheme;
    private const string RedisKeysKey = "llmgateway:admin:data-protection-keys";

    public static IHostApplicationBuilder AddAdminAuthentication(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(AdminAuthOptions.Section).Get<AdminAuthOptions>() ?? new();
        builder.Services.AddOptions<AdminAuthOptions>().BindConfiguration(AdminAuthOptions.Section);
        builder.Services.AddSingleton<AdminCredentials>();
        builder.Services.AddSingleton<SignInLimits>();
        builder.Services.AddSingleton<SignInGate>();
        builder.Services.AddSingleton<SessionStamp>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.AddAdminDataProtection(options);
        builder.AddAdminForwardedHeaders(options.ForwardedHeaders);

        var authentication = builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(cookie =>
            {
                cookie.LoginPath = SignInPath;
                cookie.AccessDeniedPath = SignInPath;
                cookie.ExpireTimeSpan = options.SessionIdleTimeout;
                cookie.SlidingExpiration = true;
                cookie.Cookie.Name = "llmgw-admin";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.Events.OnValidatePrincipal = SessionStamp.ValidateAsync;
            });
        OidcAdmission.RequireAllowList(options.Oidc);
        if (options.Oidc.Enabled)
        {
            authentication.AddOpenIdConnect(OidcScheme, oidc =>
            {
                oidc.Authority = options.Oidc.Authority;
                oidc.ClientId = options.Oidc.ClientId;
                oidc.ClientSecret = options.Oidc.ClientSecret;
                oidc.ResponseType = "code";
                oidc.UsePkce = true;
                oidc.SaveTokens = false;
                oidc.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                oidc.Scope.Add("email");
                oidc.MapInboundClaims = false; // claims keep their ID-token names: email, email_verified, groups
                oidc.TokenValidationParameters.NameClaimType = "name";
                oidc.Events.OnTokenValidated = context => AdmitOrFail(context, options.Oidc);
            });
        }

        builder.Services.AddAuthorization();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddScoped<AuthenticationStateProvider, SessionRevalidation>();
        return builder;
    }

    private static void AddAdminDataProtection(this IHostApplicationBuilder builder, AdminAuthOptions options)
    {
        var dataProtection = builder.Services.AddDataProtection().SetApplicationName("LlmGateway.Admin");
        builder.EncryptKeyRing(options.DataProtection);
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("redis")))
        {
            // Shared keys: a session cookie issued by one replica is readable by every other.
            builder.AddRedisClient("redis");
            builder.Services.AddOptions<KeyManagementOptions>().Configure<IConnectionMultiplexer>((keys, redis) =>
                keys.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), RedisKeysKey));
            return;
        }

        var path = options.DataProtectionPath;
        if (string.IsNullOrWhiteSpace(path))
        {
            path = Path.Combine(builder.Environment.ContentRootPath, ".keys");
        }

        dataProtection.PersistKeysToFileSystem(new DirectoryInfo(path));
    }

    private static void EncryptKeyRing(this IHostApplicationBuilder builder, AdminAuthOptions.DataProtectionOptions options)
    {
        if (!string.IsNullOrEmpty(options.KeyRingSecret))
        {
            var secret = options.KeyRingSecret;
            builder.Services.Configure<KeyManagementOptions>(keys => keys.XmlEncryptor = new KeyRingEncryptor(secret));
            return;
        }

        if (builder.Environment.IsProduction() && !options.AllowUnencryptedKeys)
        {
            throw new InvalidOperationException(
                "Admin:DataProtection:KeyRingSecret is not set: the keys that sign session cookies would be stored unencrypted " +
                "(anyone who can read Redis or the key folder could forge an admin session). Set it to a long random string " +
                "(the AppHost passes its admin-key-ring-secret parameter), or set Admin:DataProtection:AllowUnencryptedKeys=true.");
        }
    }

    private static Task AdmitOrFail(TokenValidatedContext context, AdminAuthOptions.OidcOptions options)
    {
        if (OidcAdmission.Refusal(context.Principal, options) is { } refusal)
        {
            context.Fail(refusal);
        }

        return Task.CompletedTask;
    }

    /// <summary>Sign-out (a form post, so antiforgery is checked) and the single sign-on challenge.</summary>
    public static IEndpointRouteBuilder MapAdminAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var account = app.MapGroup("/account");
        // The form field makes this a form endpoint, so its antiforgery token is validated.
        account.MapPost("/signout", async (HttpContext context, [FromForm] string? returnUrl) =>
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return TypedResults.LocalRedirect(SignInPath);
        });
        account.MapGet("/signin/oidc", (string? returnUrl) =>
            TypedResults.Challenge(new AuthenticationProperties { RedirectUri = LocalReturnUrl.Resolve(returnUrl) }, [OidcScheme]));
        return app;
    }

    public static ClaimsPrincipal Principal(string name, string method, string? stamp) =>
        new(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, "admin"), new Claim(ClaimTypes.AuthenticationMethod, method),
                new Claim(SessionStamp.ClaimType, stamp ?? "")],
            CookieAuthenticationDefaults.AuthenticationScheme));
}
