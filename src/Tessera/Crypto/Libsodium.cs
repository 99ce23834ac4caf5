using System.Runtime.InteropServices;

namespace Tessera.Crypto;

/// <summary>
/// The two libsodium functions X25519 needs, called directly on the library NSec ships: NSec's <c>Key</c> objects keep
/// every key in guarded pages (mmap and mprotect per key), which costs more than the scalar multiplication itself for
/// a key that lives for one handshake. Tessera's own buffers are zeroed when the key is retired.
/// </summary>
internal static class Libsodium
{
    private const string Library = "libsodium";

    static Libsodium()
    {
        // Picks the fastest implementation for this CPU; safe to call more than once (NSec calls it too).
        if (sodium_init() < 0)
        {
            throw new InvalidOperationException("libsodium failed to initialize.");
        }
    }

    /// <summary>q = n·9 (the public key of private key n, RFC 7748 §6.1).</summary>
    public static void ScalarMultBase(byte[] publicKey, byte[] privateKey)
    {
        if (crypto_scalarmult_curve25519_base(publicKey, privateKey) != 0)
        {
            throw new InvalidOperationException("crypto_scalarmult_curve25519_base failed.");
        }
    }

    /// <summary>q = n·p; false when the result is all zeros (p of low order), which libsodium refuses.</summary>
    public static bool ScalarMult(byte[] shared, byte[] privateKey, byte[] peerPublicKey) =>
        crypto_scalarmult_curve25519(shared, privateKey, peerPublicKey) == 0;

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
    private static extern int sodium_init();

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
    private static extern int crypto_scalarmult_curve25519_base(byte[] q, byte[] n);

    [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories)]
    private static extern int crypto_scalarmult_curve25519(byte[] q, byte[] n, byte[] p);
}
