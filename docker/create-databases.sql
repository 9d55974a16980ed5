create database session_sync;
